"""Template messages keep the content: a case's push maps village, category, text, due time and the
next command to the template's fields; a push about no one case fills its fields from the content."""
import pytest

from bot.delivery import schedules
from tests import roster_fixture
from tests.dialog import Chat
from tests.pushes import make_case, roster, send_due, sends
from tests.roster_fixture import NOW
from tests.test_cases import ROAD
from tests.test_schedules import DUE, at

pytestmark = pytest.mark.pushes  # the fake WeChat API and a Redis of the test's own

TEMPLATE = "/cgi-bin/message/template/send"


def template_to(fake, openid: str) -> tuple[str, dict]:
    """The one template message sent to ``openid``: its id and its field values."""
    [record] = [r for r in sends(fake, to=openid) if r["path"] == TEMPLATE]
    return record["body"]["template_id"], {name: field["value"] for name, field in record["body"]["data"].items()}


@pytest.fixture
def chat(runtime):
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        roster_fixture.resident(session, "o_ah", rows["village"])
    return Chat(runtime, NOW)


def test_a_new_case_reaches_a_cadre_as_a_template_with_the_case_in_its_fields(chat, runtime, fake):
    chat.say("o_ah", ROAD)
    assert set(send_due(runtime)) == {"sent"}
    template_id, data = template_to(fake, "o_huang")  # the cadre never wrote: no 48-hour window
    assert template_id == "TEMPLATE_CASE_NOTICE"
    assert data == {"thing1": "新案件 新高园村·交通运输", "character_string2": "JH-2026-00001",
                    "thing3": "新高园村·交通运输", "thing4": ROAD, "time5": "2026-11-25 10:00",
                    "thing6": "接单 JH-2026-00001"}


def test_an_escalation_template_keeps_its_reason_and_offers_a_command_the_secretary_may_use(chat, runtime, fake):
    chat.say("o_ah", ROAD)
    chat.say("o_huang", "接单 JH-2026-00001")
    chat.say("o_huang", "上报 JH-2026-00001 需要县交通局立项")
    send_due(runtime)
    _, data = template_to(fake, "o_lin")
    assert data["thing1"] == "上报：需要县交通局立项" and data["thing6"] == "详情 JH-2026-00001"
    assert "进度" not in "".join(data.values())  # 进度 is the residents' command


def test_the_station_day_eve_template_carries_the_list_not_dashes(app, runtime, fake):
    with runtime.Session.begin() as session:
        found = roster(session)
        make_case(session, found["village"], found["residents"][0], found["member"], "JH-2030-00001", DUE,
                  received_at=at(1, 9))
        leader_openid = found["leader"].openid
    with app.app_context():
        assert schedules.station_eve_job(now=at(4, 18, 0)) == 3
    send_due(runtime)
    template_id, data = template_to(fake, leader_openid)
    assert template_id == "TEMPLATE_NOTICE"
    assert data["thing1"].startswith("明日驻点 龙湾村")
    assert data["thing2"].startswith("在办案件 1 件") and data["thing4"] == "回复“我的”看待办"
    assert "-" not in (data["thing2"], data["thing4"])
