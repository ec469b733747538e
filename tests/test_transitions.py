"""What the case life tells people: refusals in plain words, and closing a case without solving it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cases import case_life
from bot.reports.periods import week
from bot.reports.rates import Tally, tallies
from models import Cadre, Case, CaseEvent, Notification
from tests import roster_fixture
from tests.dialog import Chat
from tests.roster_fixture import NOW

ROAD = "村口的水泥路坏了，到处是坑，车子过不去"


@pytest.fixture
def chat(runtime):
    """The test roster with two residents of 新高园村; road cases go to 黄主任."""
    with runtime.Session.begin() as session:
        village = roster_fixture.build(session)["village"]
        for name in ("ah", "bo"):
            roster_fixture.resident(session, f"o_{name}", village)
    return Chat(runtime, NOW)


def pushes(runtime, kind: str) -> list[tuple[str, str, str]]:
    """(recipient kind, recipient's openid, content) of every push of ``kind``."""
    from models import Resident

    with runtime.Session() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).all()
        model = {"cadre": Cadre, "resident": Resident}
        return [(row.recipient_kind, session.get(model[row.recipient_kind], row.recipient_id).openid, row.content)
                for row in rows]


def close(runtime, openid: str, number: str, reason: str, now=NOW) -> Exception | None:
    """Close a case without solving it as the cadre ``openid`` (the chat command comes later)."""
    with runtime.Session.begin() as session:
        cadre = session.scalar(select(Cadre).where(Cadre.openid == openid))
        case = session.scalar(select(Case).where(Case.number == number))
        try:
            case_life.close_unresolved(session, case, cadre, reason, runtime.config, now)
        except case_life.CaseError as error:
            return error
    return None


def test_second_accept_names_who_took_it(chat):
    chat.say("o_ah", ROAD)
    chat.dialog([("o_huang", "接单 JH-2026-00001", "已接单"),
                 ("o_chen", "接单 JH-2026-00001", "案件 JH-2026-00001 已由 黄主任 接单"),
                 ("o_huang", "接单 JH-2026-00001", "已由 黄主任 接单")])


def test_moves_on_an_ended_case_say_it_has_ended(chat, runtime):
    chat.say("o_ah", ROAD)
    chat.say("o_huang", "接单 JH-2026-00001")
    chat.say("o_huang", "办结 JH-2026-00001 已修好")
    chat.dialog([("o_chen", "转办 JH-2026-00001 周干事", "案件 JH-2026-00001 已办结，不能再转办。"),
                 ("o_huang", "上报 JH-2026-00001 要钱", "已办结，不能再上报"),
                 ("o_lin", "接单 JH-2026-00001", "已办结，不能再接单"),
                 ("o_ma", "转办 JH-2026-00001 周干事", "没有找到案件")])  # another township learns nothing of it
    with runtime.Session() as session:
        assert session.scalar(select(Case.state)) == "resolved"
        assert [e.action for e in session.scalars(select(CaseEvent).order_by(CaseEvent.id))][-1] == "resolve"


def test_unknown_category_changes_nothing(chat, runtime):
    chat.say("o_ah", ROAD)
    assert "没有“天气”这个类别" in chat.say("o_chen", "改类 JH-2026-00001 天气")
    with runtime.Session() as session:
        assert session.scalar(select(Case.category)) != "天气"
        assert "reclassify" not in session.scalars(select(CaseEvent.action)).all()


def test_closing_unresolved_tells_the_reporters_and_the_owner_and_ends_the_case(chat, runtime):
    chat.say("o_ah", ROAD)
    chat.tick(hours=1)
    chat.say("o_bo", "村口水泥路坏了很多坑，车子都过不去了")  # offered the case ...
    chat.say("o_bo", "是")  # ... and joins as co-reporter
    chat.say("o_huang", "接单 JH-2026-00001")
    assert close(runtime, "o_chen", "JH-2026-00001", "属县交通局管养道路，已告知群众拨打12345") is None
    told = pushes(runtime, "closed")
    assert [(kind, openid) for kind, openid, _ in told] == [("resident", "o_ah"), ("resident", "o_bo"),
                                                            ("cadre", "o_huang")]
    assert all("12345" in content for *_, content in told)
    assert "未能解决" in told[0][2] and "陈镇长" in told[2][2]
    with runtime.Session() as session:
        case = session.scalar(select(Case))
        entry = session.scalars(select(CaseEvent).order_by(CaseEvent.id)).all()[-1]
    assert (case.state, case.resolved_at, entry.action, entry.from_state) == \
        ("closed_unresolved", None, "close_unresolved", "accepted")
    assert "已关闭（未解决）" in chat.say("o_ah", "进度 JH-2026-00001")
    assert "没有待办" in chat.say("o_huang", "我的")
    chat.tick(days=10)
    assert "JH-2026-00001" not in (chat.say("o_chen", "超时") or "")
    assert "不能再办结" in chat.say("o_huang", "办结 JH-2026-00001 修好了")
    assert "不能确认满意" in chat.say("o_ah", "满意 JH-2026-00001")
    with runtime.Session() as session:
        figures = tallies(session, week(NOW).start, week(NOW).end, chat.now)
    assert list(figures.values()) == [Tally(received=1, contact_due=1, contacted=1, resolve_due=1, resolved=0)]


def test_only_the_owner_or_a_leader_closes_unresolved(chat, runtime):
    chat.say("o_ah", ROAD)
    assert isinstance(close(runtime, "o_huang", "JH-2026-00001", "重复"), case_life.NotAllowed)  # accept first
    assert isinstance(close(runtime, "o_zhou", "JH-2026-00001", "重复"), case_life.NotAllowed)
    assert isinstance(close(runtime, "o_zhao", "JH-2026-00001", "重复"), case_life.NotAllowed)  # supervisors read
    chat.say("o_huang", "接单 JH-2026-00001")
    assert close(runtime, "o_huang", "JH-2026-00001", "重复反映，已并入 JH-2026-00002", NOW + timedelta(hours=1)) is None
    assert [kind for kind, *_ in pushes(runtime, "closed")] == ["resident"]  # the owner closed it: nobody else to tell
    error = close(runtime, "o_chen", "JH-2026-00001", "再关一次")
    assert isinstance(error, case_life.IllegalMove) and error.state == "closed_unresolved"
