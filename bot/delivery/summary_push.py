"""Deliver one ``image_summary`` notification: the chart as an image where WeChat allows it.

The summary and its chart data are written by ``bot/reports/summary_image.py``; this is the
worker's half: render the chart, upload it, send it with its caption.
"""
import json

from bot.delivery import channels
from bot.timefmt import stamp


def send(api, channel: str, target, row, cfg: dict) -> None:
    """Deliver one image_summary: the image where WeChat allows it, else the caption with the link."""
    from bot.reports.charts import render  # matplotlib loads only in processes that draw

    payload = json.loads(row.content)
    if channel == channels.CUSTOMER_SERVICE:
        media_id = api.upload_image(render(payload["chart"]), filename="summary.png")
        api.send_image(target.openid, media_id)
        api.send_text(target.openid, payload["caption"])
    elif channel == channels.WECOM:
        api.send_wecom_text(target.wecom_userid, payload["caption"])
    else:  # a template message cannot carry an image: its link opens the dashboard
        values = {"title": row.title, "number": "", "time": stamp(row.created_at), "hint": payload["link"]}
        template_id, data = channels.template_message(cfg, row.kind, values)
        api.send_template(target.openid, template_id, data, url=payload["link"])
