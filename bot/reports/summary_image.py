"""Summaries too long for one WeChat text: a chart image plus a dashboard link, via the outbox.

Handlers call ``fit``: a summary within the limit is the reply itself; a longer one becomes an
``image_summary`` notification (chart data, caption, link as JSON) and a short reply. The
worker delivers it (``bot/delivery/summary_push.py``): renders the chart, uploads it, sends the image.
"""
import json
import logging

from bot.cases.outbox import notify

log = logging.getLogger(__name__)

KIND = "image_summary"


def dashboard_link(runtime, path: str = "") -> str:
    """The public dashboard URL (``DASHBOARD_URL``), or its path when that is not configured."""
    return runtime.dashboard_url.rstrip("/") + "/dashboard/" + path.lstrip("/")


def too_long(config: dict, text: str) -> bool:
    """Whether ``text`` exceeds WeChat's text message limit (counted in UTF-8 bytes)."""
    return len(text.encode("utf-8")) > config["summaries"]["text_limit_bytes"]


def fit(context, cadre, key: str, title: str, text: str, chart: dict, path: str = "") -> str:
    """The reply for a summary: itself if short enough, else a pointer to the chart on its way."""
    if not too_long(context.config, text):
        return text
    link = dashboard_link(context.runtime, path)
    queue(context.session, context.config, cadre, f"summary:{key}:{cadre.id}:{int(context.now.timestamp())}",
          title, chart, link)
    return context.text("summary_image", title=title, link=link)


def queue(session, config: dict, cadre, source: str, title: str, chart: dict, link: str):
    """Write the image_summary notification for ``cadre`` (once per source)."""
    caption = config["texts"]["summary_image_caption"].format(title=title, link=link)
    content = json.dumps({"chart": chart, "caption": caption, "link": link}, ensure_ascii=False)
    return notify(session, source, cadre, KIND, content, title=title)


def clip(config: dict, lines: list[str], link: str) -> str:
    """Join as many ``lines`` as fit the text limit; when some are cut, end with the dashboard link."""
    kept = []
    for index, line in enumerate(lines):
        tail = [link] if index < len(lines) - 1 else []
        if too_long(config, "\n".join([*kept, line, *tail])):
            return "\n".join([*kept, link])
        kept.append(line)
    return "\n".join(kept)
