"""Cases from first message to confirmed answer, as residents, cadres, leaders and secretaries talk."""
import pytest
from sqlalchemy import func, select, text

from models import Case, CaseEvent, CaseReporter, Notification
from tests.roster_fixture import NOW

ROAD = "村口的水泥路坏了，到处是坑，车子过不去"
ROAD_AGAIN = "村口水泥路坏了很多坑，车子都过不去了"


def only_case(runtime) -> Case:
    with runtime.Session() as session:
        cases = session.scalars(select(Case)).all()
        assert len(cases) == 1
        return cases[0]


def pushes(runtime, kind=None) -> list[Notification]:
    with runtime.Session() as session:
        query = select(Notification).order_by(Notification.id)
        return session.scalars(query.where(Notification.kind == kind) if kind else query).all()


def ledger(runtime, case_id) -> list[str]:
    with runtime.Session() as session:
        return session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def test_resident_reports_and_gets_a_receipt_with_the_card(chat, runtime, roster):
    reply = chat.say("o_ah", ROAD)
    case = only_case(runtime)
    assert case.number == "JH-2026-00001"
    for fragment in (case.number, case.category, "黄主任", "镇农办主任", "驻点日", "11月24日（星期二）下午", "村委会办公楼", f"进度 {case.number}"):
        assert fragment in reply
    assert case.assignee_id == roster["road"] and case.state == "assigned"
    assert case.explanation and all(word in ROAD for word in case.explanation)
    assert ledger(runtime, case.id) == ["receive", "assign"]
    [push] = pushes(runtime)
    assert (push.recipient_kind, push.recipient_id, push.kind) == ("cadre", roster["road"], "new_case")
    assert case.number in push.content and "接单" in push.content


def test_messages_within_the_window_join_one_case(chat, runtime):
    chat.say("o_ah", "村口的水泥路坏了")
    chat.tick(seconds=50)
    assert "已补充" in chat.say("o_ah", "到处是坑，车子过不去")
    case = only_case(runtime)
    assert "到处是坑" in case.text and "水泥路" in case.text
    assert len(pushes(runtime)) == 1  # the cadre is told once
    chat.tick(minutes=3)
    assert "JH-2026-00002" in chat.say("o_ah", "另外村里的路灯也坏了好几盏，晚上很黑")


def test_greetings_do_not_open_cases(chat, runtime):
    # A short warm reply (bot/reading), not the full help menu and not a case.
    assert "您好" in chat.say("o_ah", "你好") and "您好" in chat.say("o_ah", "在吗")
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_same_problem_from_another_villager_joins_as_co_report(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    chat.tick(hours=1)
    offer = chat.say("o_bo", ROAD_AGAIN)
    assert "JH-2026-00001" in offer and "回复“是”并入" in offer
    assert "2 位" in chat.say("o_bo", "是")
    case = only_case(runtime)
    assert case.reporters == 2
    assert "反映人数：2" in chat.say("o_huang", "详情 JH-2026-00001")
    chat.say("o_huang", "接单 JH-2026-00001")
    chat.say("o_huang", "办结 JH-2026-00001 已安排施工队，本周五前修好")
    answers = pushes(runtime, "answer")
    with runtime.Session() as session:
        reporters = set(session.scalars(select(CaseReporter.resident_id)))
    assert {p.recipient_id for p in answers} == reporters == {roster["ah"], roster["bo"]}
    assert all("本周五前修好" in p.content for p in answers)


def test_a_different_village_never_joins(chat, runtime):
    chat.say("o_ah", ROAD)
    chat.say("o_far", ROAD_AGAIN)
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_full_life_to_confirmed_answer_is_in_the_ledger(chat, runtime, roster):
    chat.dialog([
        ("o_ah", ROAD, "JH-2026-00001"),
        ("o_huang", "接单 JH-2026-00001", "已接单"),
        ("o_huang", "备注 JH-2026-00001 已到现场查看", "已备注"),
        ("o_ah", "进度 JH-2026-00001", "办理中", "黄主任"),
        ("o_huang", "办结 JH-2026-00001 已修好", "已办结"),
        ("o_ah", "进度 JH-2026-00001", "已办结", "答复：已修好"),
        ("o_ah", "满意 JH-2026-00001", "感谢"),
    ])
    case = only_case(runtime)
    assert case.state == "confirmed" and case.owner_id == roster["road"]
    assert ledger(runtime, case.id) == ["receive", "assign", "accept", "start", "resolve", "confirm"]
    assert [p.kind for p in pushes(runtime)] == ["new_case", "accepted", "answer"]


def test_unsatisfied_reopens_to_the_same_owner(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    chat.say("o_huang", "接单 JH-2026-00001")
    chat.say("o_huang", "办结 JH-2026-00001 已修好")
    assert "原因" in chat.say("o_ah", "不满意 JH-2026-00001")
    assert "重新办理" in chat.say("o_ah", "不满意 JH-2026-00001 路还是坑坑洼洼")
    case = only_case(runtime)
    assert (case.state, case.owner_id, case.reopened) == ("reopened", roster["road"], 1)
    [reopen] = pushes(runtime, "reopened")
    assert reopen.recipient_id == roster["road"] and "坑坑洼洼" in reopen.content
    assert "已办结" in chat.say("o_huang", "办结 JH-2026-00001 已重新铺设")


def test_escalation_keeps_the_first_handler_and_reaches_township_then_county(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    chat.say("o_huang", "接单 JH-2026-00001")
    assert "上报" in chat.say("o_huang", "上报 JH-2026-00001 需要县交通局立项")
    [up] = pushes(runtime, "escalated")
    assert up.recipient_id == roster["secretary"]
    assert "已上报县" in chat.say("o_lin", "上报 JH-2026-00001 资金超出镇里权限")
    county = [p for p in pushes(runtime, "escalated") if p.recipient_id == roster["supervisor"]]
    assert len(county) == 1
    case = only_case(runtime)
    assert (case.state, case.escalation, case.owner_id) == ("escalated_county", "county", roster["road"])
    # The owner still answers the resident.
    assert "已办结" in chat.say("o_huang", "办结 JH-2026-00001 县里已立项，明年春修")


def test_complaint_about_village_cadres_goes_to_the_township_and_hides_the_complainant(chat, runtime, roster):
    chat.say("o_ah", "村干部吃拿卡要，村务不公开，低保评选优亲厚友")
    case = only_case(runtime)
    assert case.category in ("干部作风", "村务公开")
    assert case.assignee_id == roster["secretary"] and case.hidden_complainant
    assert "微信尾号" in chat.say("o_lin", f"详情 {case.number}")
    assert "已隐藏" in chat.say("o_chen", f"详情 {case.number}")  # the team leader sees the case, not who wrote
    assert "没有找到" in chat.say("o_wu", f"详情 {case.number}")  # for the village committee it does not exist


def test_transfer_before_acceptance_and_by_the_leader(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    assert "转给 周干事" in chat.say("o_huang", "转办 JH-2026-00001 周干事")
    assert only_case(runtime).assignee_id == roster["farm"]
    chat.say("o_zhou", "接单 JH-2026-00001")
    assert "无权" in chat.say("o_zhou", "转办 JH-2026-00001 黄主任")  # an owner cannot pass it on
    assert "转给 黄主任" in chat.say("o_chen", "转办 JH-2026-00001 黄主任")  # the leader can
    case = only_case(runtime)
    assert (case.assignee_id, case.state) == (roster["road"], "transferred")
    assert len([p for p in pushes(runtime, "new_case") if p.recipient_id == roster["road"]]) == 2


def test_reclassify_is_recorded_and_reroutes_an_unaccepted_case(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    assert "农业生产" in chat.say("o_chen", "改类 JH-2026-00001 农业生产")
    case = only_case(runtime)
    assert (case.category, case.assignee_id) == ("农业生产", roster["farm"])
    with runtime.Session() as session:
        entry = session.scalar(select(CaseEvent).where(CaseEvent.action == "reclassify"))
    assert entry.data["category"] == "农业生产" and entry.data["from"] != "农业生产"
    assert "没有“天气”这个类别" in chat.say("o_chen", "改类 JH-2026-00001 天气")


def test_my_cases_lists_open_cases_oldest_first_with_time_left(chat, runtime):
    chat.say("o_ah", ROAD)
    chat.tick(minutes=5)
    chat.say("o_bo", "村口路灯坏了好几盏，晚上出行很危险，请尽快维修")
    lines = chat.say("o_huang", "我的").splitlines()
    assert [line.split()[0] for line in lines] == ["JH-2026-00001", "JH-2026-00002"]
    assert all(" 待接单 剩" in line for line in lines)
    assert chat.say("o_zhou", "我的") == runtime.config["texts"]["cadre_my_none"]  # routed nothing


REFUSALS = [
    ("o_ah", "接单 JH-2026-00001", "没有使用"),  # a resident
    # Out of scope: the same answer as a number that does not exist, so numbers reveal nothing.
    ("o_ma", "接单 JH-2026-00001", "没有找到案件"),  # a leader of another township
    ("o_he", "详情 JH-2026-00001", "没有找到案件"),  # another township's secretary
    ("o_zhao", "接单 JH-2026-00001", "无权"),  # a supervisor only reads (it is in their county)
    ("o_qian", "详情 JH-2026-00001", "没有找到案件"),  # a supervisor of another county
    ("o_zhou", "接单 JH-2026-00001", "无权"),  # a member of the team it was not routed to (sees it in lists)
    ("o_huang", "办结 JH-2026-00001 好了", "不能办结"),  # not accepted yet
    ("o_huang", "办结 JH-2026-00001", "用法"),  # no answer given
    ("o_huang", "接单", "用法"),
    ("o_huang", "接单 JH-2026-99999", "没有找到"),
    ("o_huang", "转办 JH-2026-00001 不存在的人", "没有找到可以接办此案的"),
    ("o_bo", "满意 JH-2026-00001", "没有找到"),  # not their case
    ("o_ah", "满意 JH-2026-00001", "不能确认满意"),  # not resolved yet
]


@pytest.mark.parametrize("openid,said,expected", REFUSALS, ids=[f"{o}:{s}" for o, s, _ in REFUSALS])
def test_refusals_change_nothing(chat, runtime, openid, said, expected):
    chat.say("o_ah", ROAD)
    before = only_case(runtime)
    events = len(ledger(runtime, before.id))
    assert expected in chat.say(openid, said)
    after = only_case(runtime)
    assert (after.state, after.assignee_id, after.owner_id) == (before.state, before.assignee_id, before.owner_id)
    assert len(ledger(runtime, before.id)) == events


def test_supervisor_reads_within_county(chat, runtime):
    chat.say("o_ah", ROAD)
    assert "新高园村" in chat.say("o_zhao", "详情 JH-2026-00001")


def test_progress_lists_only_my_cases(chat):
    chat.say("o_ah", ROAD)
    assert "JH-2026-00001" in chat.say("o_ah", "进度")
    assert "还没有" in chat.say("o_bo", "进度")
    assert "没有找到" in chat.say("o_bo", "进度 JH-2026-00001")


def test_voice_photo_and_location(chat, runtime):
    reply = chat.send("o_ah", "voice", media_id="v1", text="")
    assert "语音" in reply
    case = only_case(runtime)
    assert case.media == [{"kind": "voice", "media_id": "v1"}]
    chat.tick(seconds=30)
    assert "已附到" in chat.send("o_ah", "image", media_id="p1")
    chat.tick(seconds=30)
    assert "已附到" in chat.send("o_ah", "location", latitude=23.1, longitude=116.2, label="村口")
    case = only_case(runtime)
    assert [m["kind"] for m in case.media] == ["voice", "photo", "location"]
    chat.tick(hours=3)
    assert "JH-2026-00002" in chat.send("o_ah", "image", media_id="p2")  # too late to attach: a new case


def test_voice_recognition_is_the_text(chat, runtime):
    chat.send("o_ah", "voice", media_id="v2", text=ROAD)
    case = only_case(runtime)
    assert case.text == ROAD and case.media[0]["media_id"] == "v2"


def test_unbound_resident_is_asked_to_bind_and_the_text_is_kept(chat, runtime):
    assert "绑定" in chat.say("o_newcomer", ROAD)
    from models import Resident

    with runtime.Session() as session:
        resident = session.scalar(select(Resident).where(Resident.openid == "o_newcomer"))
        assert ROAD in resident.pending_text
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_pending_text_is_filed_once_bound(chat, runtime, roster):
    from handlers.intake import file_pending
    from handlers.message import Message
    from handlers.registry import Context
    from models import Resident, Village

    chat.say("o_newcomer", ROAD)
    with runtime.Session.begin() as session:
        resident = session.scalar(select(Resident).where(Resident.openid == "o_newcomer"))
        resident.village = session.get(Village, roster["village"])
        context = Context(session, runtime.config, NOW, runtime=runtime)
        reply = file_pending(session, resident, Message("o_newcomer", "text", NOW), context)
        assert "JH-2026-00001" in reply and resident.pending_text == ""
    assert only_case(runtime).text == ROAD


def test_ledger_is_append_only(chat, runtime):
    chat.say("o_ah", ROAD)
    with runtime.Session() as session:
        entry = session.scalars(select(CaseEvent)).first()
        entry.note = "rewritten"
        with pytest.raises(ValueError):
            session.flush()
        session.rollback()
        session.delete(session.scalars(select(CaseEvent)).first())
        with pytest.raises(ValueError):
            session.flush()
    for statement in ("UPDATE case_event SET note = 'x'", "DELETE FROM case_event"):
        with pytest.raises(Exception, match="append-only"):
            with runtime.engine.begin() as connection:
                connection.execute(text(statement))
    assert len(ledger(runtime, only_case(runtime).id)) == 2


def test_each_event_notifies_each_recipient_once(chat, runtime, roster):
    from bot.cases.outbox import notify
    from models import Cadre

    with runtime.Session.begin() as session:
        huang = session.get(Cadre, roster["road"])
        assert notify(session, "test:1", huang, "x", "一") is not None
        assert notify(session, "test:1", huang, "x", "二") is None
    assert len(pushes(runtime, "x")) == 1


def test_through_the_real_webhook(client, runtime, roster):
    from tests.wechat import say

    reply = say(client, "o_ah", ROAD, aes=True)
    assert "JH-" in reply
    assert "已接单" in say(client, "o_huang", f"接单 {only_case(runtime).number}")


def test_menu_report_button_explains_how_to_report(chat, runtime):
    reply = chat.send("o_ah", "event", event="click", event_key="MENU_REPORT", msg_id="")
    assert "直接发送" in reply
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_help_fits_the_role(chat):
    assert "绑定" in chat.say("o_ah", "帮助")
    cadre_help = chat.say("o_huang", "帮助")
    assert "接单 N" in cadre_help and "绑定 村名" not in cadre_help
