"""Cadres racing on one case, through the same path as /wechat, on SQLite and PostgreSQL.

Real threads, each with its own connection from the pool, send their command at the same moment
(a barrier), round after round: exactly one move wins, the others get a clear refusal, the
resident hears once per real change, and the ledger reads as one consistent sequence.
"""
import threading
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Case, CaseEvent, Notification
from tests import roster_fixture
from tests.dialog import Chat
from tests.roster_fixture import NOW

ROUNDS = 30
ROAD = "村口的水泥路坏了，到处是坑，车子过不去"


@pytest.fixture
def chat(runtime):
    """A chat over the test roster; 新高园村's road cases go to 黄主任."""
    with runtime.Session.begin() as session:
        roster_fixture.resident(session, "o_ah", roster_fixture.build(session)["village"])
    return Chat(runtime, NOW)


def new_case(chat: Chat) -> str:
    """A fresh road case from the resident (the clock moves on, so it never joins the last one)."""
    chat.tick(minutes=10)  # past the intake window, and a new minute for the rate limit
    chat.say("o_ah", ROAD)
    with chat.runtime.Session() as session:
        return session.scalar(select(Case.number).order_by(Case.id.desc()).limit(1))


def race(chat: Chat, commands: dict[str, str]) -> dict[str, str]:
    """Send each openid's command from its own thread at the same moment; the replies by openid."""
    barrier = threading.Barrier(len(commands))
    replies, errors = {}, []

    def send(openid: str, text: str) -> None:
        try:
            barrier.wait(timeout=10)
            replies[openid] = chat.say(openid, text)
        except BaseException as error:  # a failure in a thread must fail the test
            errors.append(error)

    threads = [threading.Thread(target=send, args=item) for item in commands.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return replies


def facts(runtime, number: str) -> tuple[Case, list[CaseEvent], list[Notification]]:
    """The case, its ledger and its pushes, read afresh."""
    with runtime.Session() as session:
        case = session.scalar(select(Case).where(Case.number == number).options(joinedload(Case.owner)))
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        pushes = session.scalars(select(Notification).where(Notification.case_id == case.id)
                                 .order_by(Notification.id)).all()
        return case, events, pushes


def consistent(case: Case, events: list[CaseEvent]) -> list[str]:
    """The ledger's actions, asserting each entry starts where the one before ended, and ends at the case."""
    assert events[0].action == "receive"
    for before, after in zip(events, events[1:]):
        assert after.from_state == before.to_state, [(e.action, e.from_state, e.to_state) for e in events]
    assert events[-1].to_state == case.state
    return [event.action for event in events]


def resident_pushes(pushes: list[Notification], kind: str) -> int:
    """How many of the pushes of ``kind`` went to residents."""
    return sum(1 for push in pushes if push.recipient_kind == "resident" and push.kind == kind)


def test_member_leader_and_secretary_race_to_accept(chat, runtime, database_url):
    racers = {"o_huang": "黄主任", "o_chen": "陈镇长", "o_lin": "林书记"}  # member (assignee), leader, secretary
    winners = Counter()
    for _ in range(ROUNDS):
        number = new_case(chat)
        replies = race(chat, {openid: f"接单 {number}" for openid in racers})
        won = [openid for openid, reply in replies.items() if reply.startswith(f"已接单 {number}")]
        assert len(won) == 1, replies
        winner = racers[won[0]]
        winners[winner] += 1
        for openid, reply in replies.items():
            if openid != won[0]:
                assert reply == f"案件 {number} 已由 {winner} 接单，无需重复接单。", replies
        case, events, pushes = facts(runtime, number)
        assert case.state == "accepted" and case.owner.name == winner and case.assignee_id is None
        assert consistent(case, events) == ["receive", "assign", "accept"]
        assert resident_pushes(pushes, "accepted") == 1
        [told] = [push for push in pushes if push.kind == "accepted"]
        assert winner in told.content
    print(f"\nrace 接单 ×3 on {database_url.split(':')[0].split('+')[0]}: {ROUNDS} rounds, winners {dict(winners)}")
    assert sum(winners.values()) == ROUNDS


def test_resolve_races_transfer(chat, runtime, database_url):
    winners = Counter()
    for _ in range(ROUNDS):
        number = new_case(chat)
        assert chat.say("o_huang", f"接单 {number}").startswith("已接单")
        replies = race(chat, {"o_huang": f"办结 {number} 已修好", "o_chen": f"转办 {number} 周干事"})
        resolved = replies["o_huang"] == f"已办结案件 {number}。"
        transferred = replies["o_chen"] == f"案件 {number} 已转给 周干事。"
        assert resolved != transferred, replies  # exactly one wins
        case, events, pushes = facts(runtime, number)
        actions = consistent(case, events)
        if resolved:
            winners["办结"] += 1
            assert replies["o_chen"] == f"案件 {number} 已办结，不能再转办。"
            assert case.state == "resolved" and actions[-1] == "resolve" and "transfer" not in actions
            assert resident_pushes(pushes, "answer") == 1
            assert not [push for push in pushes if push.kind == "new_case" and push.recipient_id != case.owner_id]
        else:
            winners["转办"] += 1
            assert replies["o_huang"] == f"案件 {number} 目前“已转办”，不能办结。"
            assert case.state == "transferred" and actions[-1] == "transfer" and "resolve" not in actions
            assert resident_pushes(pushes, "answer") == 0 and case.resolved_at is None
            assert [push.kind for push in pushes].count("new_case") == 2  # 黄主任 at filing, then 周干事
        assert resident_pushes(pushes, "accepted") == 1
    print(f"\nrace 办结/转办 on {database_url.split(':')[0].split('+')[0]}: {ROUNDS} rounds, winners {dict(winners)}")
