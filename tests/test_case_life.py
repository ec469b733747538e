"""The case state machine: every legal and illegal move, by hypothesis on the table and pair by pair on the databases."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.cases import case_life
from bot.cases.case_life import MOVES, OPEN, STATES, IllegalMove, allowed, apply
from models import Cadre, Case, CaseEvent, CaseReporter, Notification, Resident, Village
from tests import roster_fixture
from tests.case_factory import make_case

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
# What the field system allows, written independently of the table in bot/cases/case_life.py.
EXPECTED_TARGETS = {
    "assign": "assigned", "accept": "accepted", "start": "in_progress", "transfer": "transferred",
    "escalate_township": "escalated_township", "escalate_county": "escalated_county", "resolve": "resolved",
    "close_unresolved": "closed_unresolved", "confirm": "confirmed", "reopen": "reopened",
}


class Ledger:
    """A stand-in session that only collects what is added."""

    def __init__(self):
        self.added = []

    def add(self, row):
        self.added.append(row)


@given(st.lists(st.sampled_from(sorted(MOVES)), max_size=30))
@settings(max_examples=400, deadline=None)
def test_any_sequence_of_actions_follows_the_table(actions):
    case = Case(state="received", number="T-1", text="")
    session = Ledger()
    legal = 0
    for action in actions:
        before = case.state
        if allowed(before, action):
            legal += 1
            entry = apply(session, case, action, actor_kind="system", actor_id=None, now=NOW)
            assert (entry.from_state, entry.to_state, entry.action) == (before, case.state, action)
            assert case.state == EXPECTED_TARGETS.get(action, before)
        else:
            with pytest.raises(IllegalMove):
                apply(session, case, action, actor_kind="system", actor_id=None, now=NOW)
            assert case.state == before
        assert case.state in STATES
    assert len(session.added) == legal  # one ledger entry per legal move, none for a refused one


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("action", sorted(MOVES))
def test_every_state_action_pair(state, action):
    legal = allowed(state, action)
    closed = state in {"resolved", "confirmed", "closed_unresolved"}
    if action in {"confirm", "reopen"}:
        assert legal == (state in {"resolved", "confirmed"} and (action == "reopen" or state == "resolved"))
    elif action == "escalate_county":
        assert legal == (state == "escalated_township")
    elif action == "accept":
        assert legal == (state in {"assigned", "transferred"})
    elif action == "assign":
        assert legal == (state == "received")
    else:
        assert not (closed and legal), "nothing but a verdict moves a closed case"


def test_closed_unresolved_is_not_resolved():
    assert "closed_unresolved" not in OPEN and case_life.MOVES["close_unresolved"].target != "resolved"


# Every (state, move) pair through the moves handlers call, on both databases: an allowed move
# reaches the expected state with its fields and ledger entry; a refused one raises the domain
# error and leaves the case, its ledger and the outbox exactly as they were.
HANDLING_STATES = {"accepted", "in_progress", "escalated_township", "escalated_county", "reopened"}
OPEN_STATES = {"received", "assigned", "transferred"} | HANDLING_STATES
EXPECTED = {  # move -> {state it may start from: state it ends in}, written out from DESIGN.md
    "accept": {"assigned": "accepted", "transferred": "accepted"},
    "transfer": {s: "transferred" for s in OPEN_STATES - {"received"}},
    "escalate": {"accepted": "escalated_township", "in_progress": "escalated_township",
                 "reopened": "escalated_township", "escalated_township": "escalated_county"},
    "resolve": {s: "resolved" for s in HANDLING_STATES},
    "close_unresolved": {s: "closed_unresolved" for s in OPEN_STATES},
    "confirm": {"resolved": "confirmed"},
    "reopen": {"resolved": "reopened", "confirmed": "reopened"},
    # An unaccepted case goes to the new category's handler (周干事 for 农业生产).
    "recategorise": {s: s for s in HANDLING_STATES} | {"received": "assigned", "assigned": "transferred",
                                                        "transferred": "transferred"},
    "note": {s: "in_progress" if s in ("accepted", "reopened") else s for s in OPEN_STATES},
}


def _move(name: str, session, case, people: dict, config: dict):
    """Make move ``name`` on ``case`` as the township secretary (every right) or the reporter."""
    by, resident = people["secretary"], people["resident"]
    return {
        "accept": lambda: case_life.accept(session, case, by, config, NOW),
        "transfer": lambda: case_life.transfer(session, case, by, people["farm"], config, NOW),
        "escalate": lambda: case_life.escalate(session, case, by, "需要协调", config, NOW),
        "resolve": lambda: case_life.resolve(session, case, by, "已修好", config, NOW),
        "close_unresolved": lambda: case_life.close_unresolved(session, case, by, "重复反映", config, NOW),
        "confirm": lambda: case_life.confirm(session, case, resident, NOW),
        "reopen": lambda: case_life.reopen(session, case, resident, "没修好", config, NOW),
        "recategorise": lambda: case_life.recategorise(session, case, by, "农业生产", config, NOW),
        "note": lambda: case_life.note(session, case, by, "已电话联系", NOW),
    }[name]()


def _snapshot(session, case_id: int) -> tuple:
    """Everything a move may change: the case's fields, its ledger, its reporters' verdicts and the outbox."""
    case = session.get(Case, case_id)
    return (tuple(getattr(case, column.key) for column in Case.__table__.columns),
            session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)),
            session.scalar(select(func.count()).select_from(Notification)),
            tuple(session.scalars(select(CaseReporter.verdict).where(CaseReporter.case_id == case_id))))


def _case_in(runtime, ids: dict, state: str) -> int:
    """A case of 新高园村 in ``state``: routed to 黄主任, or owned by him once accepted."""
    handled = state not in ("received", "assigned", "transferred")
    with runtime.Session.begin() as session:
        road = session.get(Cadre, ids["road"])
        case = make_case(session, session.get(Village, ids["village"]), session.get(Resident, ids["resident"]), NOW,
                         state=state, owner=road if handled else None, assignee=None if handled else road,
                         accepted=timedelta(hours=1) if handled else None,
                         resolved=timedelta(days=1) if state in ("resolved", "confirmed") else None,
                         confirmed=state == "confirmed")
        return case.id


def test_every_state_and_move_on_the_database(runtime):
    with runtime.Session.begin() as session:
        r = roster_fixture.build(session)
        ids = {"secretary": r["secretary"].id, "farm": r["farm"].id, "road": r["road"].id, "village": r["village"].id,
               "resident": roster_fixture.resident(session, "o_ah", r["village"]).id}
    checked = 0
    for state in sorted(STATES):
        for name, expected in EXPECTED.items():
            case_id = _case_in(runtime, ids, state)
            with runtime.Session() as session:
                before = _snapshot(session, case_id)
            with runtime.Session.begin() as session:
                people = {"secretary": session.get(Cadre, ids["secretary"]), "farm": session.get(Cadre, ids["farm"]),
                          "resident": session.get(Resident, ids["resident"])}
                case = session.get(Case, case_id)
                if state in expected:
                    _move(name, session, case, people, runtime.config)
                else:
                    with pytest.raises(IllegalMove) as refused:
                        _move(name, session, case, people, runtime.config)
                    assert (refused.value.state, refused.value.number) == (state, case.number)
            with runtime.Session() as session:
                if state not in expected:
                    assert _snapshot(session, case_id) == before, (state, name)
                    continue
                case = session.get(Case, case_id)
                assert case.state == expected[state], (state, name)
                entries = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                          .order_by(CaseEvent.id)).all()
                assert entries[0].from_state == state and entries[-1].to_state == case.state
                _assert_fields(name, case, ids)
            checked += 1
    assert checked == sum(len(expected) for expected in EXPECTED.values())


def _assert_fields(name: str, case: Case, ids: dict) -> None:
    """The fields each allowed move sets."""
    if name == "accept":
        assert case.owner_id == ids["secretary"] and case.accepted_at is not None and case.assignee_id is None
    elif name == "resolve":
        assert case.resolved_at == NOW and case.answer == "已修好"
    elif name == "close_unresolved":
        assert case.answer == "重复反映" and case.resolved_at is None and not case.open
    elif name == "confirm":
        assert case.confirmed_at == NOW
    elif name == "reopen":
        assert case.reopened == 1 and case.confirmed_at is None
    elif name == "transfer":
        assert case.assignee_id == ids["farm"] and case.owner_id is None
    elif name == "recategorise":
        assert case.category == "农业生产"
