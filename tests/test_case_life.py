"""The case state machine: every legal and illegal move, checked against the table by hypothesis."""
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cases import case_life
from bot.cases.case_life import MOVES, OPEN, STATES, IllegalMove, allowed, apply
from models import Case

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
