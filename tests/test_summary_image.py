"""A long summary reaches the cadre as a chart image (upload + image message) and a link."""
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from bot.reports.charts import FONT_FILE, SERIES, cjk_font, render
from bot.reports.summary_image import queue
from models import InboundMessage, utcnow
from tests.pushes import roster, send_due, sends

pytestmark = pytest.mark.pushes

CHART = {"type": "rates", "title": "周报 11月23日–29日", "labels": ["龙湾村", "东风村"],
         "rates": [[0.5, 0.25, None], [1.0, 0.75, 0.9]]}


def write(runtime, written_recently: bool) -> str:
    """Queue a chart for the leader, who wrote to the account an hour ago (or never); returns the openid."""
    with runtime.Session.begin() as session:
        leader = roster(session)["leader"]
        if written_recently:
            session.add(InboundMessage(dedupe_key="msg:1", openid=leader.openid, kind="text", content="周报",
                                       sent_at=utcnow()))
        queue(session, runtime.config, leader, "summary:test", "周报", CHART, "https://bot.example/dashboard/")
        return leader.openid


def _missing_glyphs(chart: dict) -> list[str]:
    """Render ``chart``; return matplotlib's missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert render(chart).startswith(b"\x89PNG")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chart_labels_are_set_in_the_font_a_requirement_ships():
    family = cjk_font()
    assert FONT_FILE.is_file() and "mplfonts" in FONT_FILE.parts  # the package's file, not a system font
    assert Path(font_manager.findfont(FontProperties(family=family), fallback_to_default=False)) == FONT_FILE
    shipped = FT2Font(str(FONT_FILE))
    text = CHART["title"] + "".join(CHART["labels"]) + "".join(name for name, _ in SERIES)
    assert all(shipped.get_char_index(ord(char)) for char in text)  # every Chinese glyph is in it
    assert _missing_glyphs(CHART) == [] and _missing_glyphs({**CHART, "type": "trend"}) == []
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):  # the check can fail: without it, boxes
        assert any("DejaVu Sans" in warning for warning in _missing_glyphs(CHART))


def test_within_the_window_the_chart_goes_as_an_image_then_the_link(runtime, fake):
    openid = write(runtime, written_recently=True)
    fake.user_activity(openid)
    assert send_due(runtime) == ["sent"]
    upload = [r for r in fake.messages() if r["path"] == "/cgi-bin/media/upload"]
    assert len(upload) == 1
    image, text = sends(fake, to=openid)
    assert image["body"]["msgtype"] == "image"
    media_id = image["body"]["image"]["media_id"]
    assert fake.state.get_media(media_id)[1].startswith(b"\x89PNG")
    assert "https://bot.example/dashboard/" in text["body"]["text"]["content"]


def test_outside_the_window_a_template_links_to_the_dashboard(runtime, fake):
    openid = write(runtime, written_recently=False)
    assert send_due(runtime) == ["sent"]
    [template] = sends(fake, to=openid)
    assert template["path"] == "/cgi-bin/message/template/send"
    assert template["body"]["url"] == "https://bot.example/dashboard/"
    assert not [r for r in fake.messages() if r["path"] == "/cgi-bin/media/upload"]
