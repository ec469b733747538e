"""Complaints about cadres, attacked through chat: the accused never gets, sees, or steers them."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.villages.station_eve import station_eve
from models import Case, CaseEvent, Notification
from tests import roster_fixture
from tests.dialog import Chat
from tests.roster_fixture import NOW

WAGES = "吴主任把我家的低保名额给了他亲戚，违规"  # names a rostered cadre + misconduct, classified 扶贫救助
ROAD = "村口的水泥路坏了，到处是坑，车子过不去"


@pytest.fixture
def roster(runtime):
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        for name in ("ah", "bo"):
            roster_fixture.resident(session, f"o_{name}", rows["village"])
        return {k: v.id for k, v in rows.items()}


@pytest.fixture
def chat(runtime, roster):
    return Chat(runtime, NOW)


def the_case(runtime) -> Case:
    with runtime.Session() as session:
        [case] = session.scalars(select(Case)).all()
        case.exclusions  # noqa: B018 (loaded before the session closes)
        return case


def snapshot(runtime, case_id: int):
    with runtime.Session() as session:
        case = session.get(Case, case_id)
        events = session.query(CaseEvent).filter_by(case_id=case_id).count()
        return case.state, case.assignee_id, case.owner_id, case.category, events


def test_a_complaint_naming_the_village_head_goes_to_the_township_whatever_its_category(chat, runtime, roster):
    receipt = chat.say("o_ah", WAGES)
    case = the_case(runtime)
    assert case.category != "干部作风"  # classified as something else, still about a cadre
    assert case.hidden_complainant and case.assignee_id == roster["secretary"]
    assert roster["committee"] in {row.cadre_id for row in case.exclusions}
    assert "林书记" in receipt
    # The accused: the case does not exist for them, and is not in their lists.
    assert chat.say("o_wu", f"详情 {case.number}") == f"没有找到案件 {case.number}，请核对编号。"
    assert case.number not in chat.say("o_wu", "我的")
    assert "已隐藏" in chat.say("o_chen", f"详情 {case.number}")
    with runtime.Session() as session:
        pushes = session.scalars(select(Notification).where(Notification.case_id == case.id)).all()
    assert pushes and all(p.recipient_id != roster["committee"] for p in pushes if p.recipient_kind == "cadre")


def test_the_leader_cannot_steer_it_to_the_accused(chat, runtime, roster):
    chat.say("o_ah", WAGES)
    case = the_case(runtime)
    before = snapshot(runtime, case.id)
    assert "没有找到可以接办此案的" in chat.say("o_chen", f"转办 {case.number} 吴主任")
    assert snapshot(runtime, case.id) == before
    # 改类 to a category the accused handles (治安) keeps it at the township.
    assert "治安" in chat.say("o_chen", f"改类 {case.number} 治安")
    after = the_case(runtime)
    assert after.assignee_id == roster["secretary"] and after.hidden_complainant
    assert "没有找到" in chat.say("o_wu", f"详情 {case.number}")
    assert "没有找到" in chat.say("o_wu", f"接单 {case.number}")


def test_reclassifying_to_cadre_conduct_hides_the_complainant_at_once(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    case = the_case(runtime)
    assert not case.hidden_complainant and case.assignee_id == roster["road"]
    chat.say("o_chen", f"改类 {case.number} 干部作风")
    case = the_case(runtime)
    assert case.hidden_complainant and case.assignee_id == roster["secretary"]
    assert roster["committee"] in {row.cadre_id for row in case.exclusions}  # the village's own cadres, implied
    assert "已隐藏" in chat.say("o_chen", f"详情 {case.number}")
    assert "没有找到" in chat.say("o_wu", f"详情 {case.number}")


def test_a_named_team_leader_is_kept_out_of_summaries_and_the_eve_list(chat, runtime, roster):
    chat.say("o_ah", "陈镇长吃拿卡要，办事要收好处费")
    chat.tick(minutes=5)
    chat.say("o_bo", ROAD)
    with runtime.Session() as session:
        hidden, road = session.scalars(select(Case).order_by(Case.id)).all()
    assert hidden.hidden_complainant and hidden.assignee_id == roster["secretary"]
    chat.tick(days=9)  # both overdue
    weekly = chat.say("o_chen", "周报")
    assert road.number in weekly and hidden.number not in weekly
    overdue = chat.say("o_chen", "超时")
    assert road.number in overdue and hidden.number not in overdue
    assert "没有找到" in chat.say("o_chen", f"详情 {hidden.number}")
    assert hidden.number in chat.say("o_lin", "超时")  # the township still sees it
    # The eve of the next station day: the village team's list leaves the complaint out.
    eve_evening = datetime(2026, 12, 7, 11, 0, tzinfo=timezone.utc)  # Monday 19:00 China time
    with runtime.Session.begin() as session:
        assert station_eve(session, runtime.config, eve_evening) > 0
    with runtime.Session() as session:
        eve = session.scalars(select(Notification).where(Notification.kind == "station_eve")).all()
    assert any(road.number in push.content for push in eve)
    assert not any(hidden.number in push.content for push in eve)
