"""Scope of every command, attacked through chat: transfers stay within the township's teams,
diaries only link in-scope cases, and "not yours" reads exactly like "not found"."""
import pytest
from sqlalchemy import func, select

from models import Case, CaseEvent, DiaryEntry, Membership
from tests import roster_fixture
from tests.dialog import Chat
from tests.roster_fixture import NOW

ROAD = "村口的水泥路坏了，到处是坑，车子过不去"


@pytest.fixture
def roster(runtime):
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        rows["admin"] = roster_fixture.cadre(session, "管理员", "admin", "admin")
        # Two 张伟 in the township's teams, one in another township, one a supervisor.
        rows["zw1"] = roster_fixture.cadre(session, "张伟", "zw1", position="镇司法所长", phone="13800001111")
        rows["zw2"] = roster_fixture.cadre(session, "张伟", "zw2", position="镇水利站长", phone="13800002222")
        rows["zw_far"] = roster_fixture.cadre(session, "张伟", "zw3", phone="13800003333")
        session.flush()
        rows["village"].team.memberships.append(Membership(cadre=rows["zw1"]))
        rows["village2"].team.memberships.append(Membership(cadre=rows["zw2"]))
        rows["other_village"].team.memberships.append(Membership(cadre=rows["zw_far"]))
        for name, village in (("ah", "village"), ("far", "other_village")):
            rows[name] = roster_fixture.resident(session, f"o_{name}", rows[village])
        return {k: v.id for k, v in rows.items()}


@pytest.fixture
def chat(runtime, roster):
    return Chat(runtime, NOW)


def case_of(runtime, number: str) -> tuple:
    with runtime.Session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        events = session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
        return case.state, case.assignee_id, case.owner_id, events


@pytest.mark.parametrize("name", ["马组长", "赵督查", "管理员", "何书记", "林书记"])
def test_transfer_outside_the_townships_teams_is_refused_and_changes_nothing(chat, runtime, roster, name):
    chat.say("o_ah", ROAD)
    before = case_of(runtime, "JH-2026-00001")
    reply = chat.say("o_chen", f"转办 JH-2026-00001 {name}")
    assert "没有找到可以接办此案的" in reply
    assert case_of(runtime, "JH-2026-00001") == before


def test_the_secretary_takes_transfers_of_escalated_cases_only(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    chat.say("o_huang", "接单 JH-2026-00001")
    assert "没有找到可以接办" in chat.say("o_chen", "转办 JH-2026-00001 林书记")
    chat.say("o_chen", "上报 JH-2026-00001 需要镇里协调资金")
    assert "转给 林书记" in chat.say("o_chen", "转办 JH-2026-00001 林书记")
    assert case_of(runtime, "JH-2026-00001")[1] == roster["secretary"]


def test_an_ambiguous_name_is_asked_back_and_resolved(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    before = case_of(runtime, "JH-2026-00001")
    reply = chat.say("o_chen", "转办 JH-2026-00001 张伟")
    assert "有2位" in reply and "镇司法所长" in reply and "新高园村" in reply
    assert "镇水利站长" in reply and "东风村" in reply and "尾号1111" in reply
    assert "河东社区" not in reply  # the other township's 张伟 is not offered
    assert case_of(runtime, "JH-2026-00001") == before
    assert "转给 张伟" in chat.say("o_chen", "转办 JH-2026-00001 张伟 东风村")
    assert case_of(runtime, "JH-2026-00001")[1] == roster["zw2"]
    chat.say("o_chen", "转办 JH-2026-00001 张伟 1111")
    assert case_of(runtime, "JH-2026-00001")[1] == roster["zw1"]


def test_not_yours_reads_exactly_like_not_found(chat, runtime, roster):
    chat.say("o_far", "河东社区的路灯坏了好几盏，晚上很黑")
    number, missing = "HP-2026-00001", "HP-2026-09999"
    for openid in ("o_chen", "o_huang", "o_wu"):
        for command in ("详情", "接单", "备注", "办结"):
            mine = chat.say(openid, f"{command} {number} 文字")
            other = chat.say(openid, f"{command} {missing} 文字")
            assert mine == other.replace(missing, number), (openid, command, mine)


def test_diary_links_only_in_scope_cases(chat, runtime, roster):
    chat.say("o_far", "河东社区的路灯坏了好几盏，晚上很黑")
    reply = chat.say("o_chen", "日志 HP-2026-00001 今天去看了路灯")
    assert reply == "没有找到案件 HP-2026-00001，请核对编号。"
    assert chat.say("o_chen", "日志 HP-2026-09999 今天去看了路灯") == "没有找到案件 HP-2026-09999，请核对编号。"
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(DiaryEntry)) == 0
    chat.say("o_ah", ROAD)
    assert "关联案件 JH-2026-00001" in chat.say("o_chen", "日志 JH-2026-00001 去看了村口的路")
    assert "已记入" in chat.say("o_chen", "日志 今天走访了三户")
