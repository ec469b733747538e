"""The case life, in one place: which action may move a case from which state, and the ledger.

Every change goes through ``apply``, which writes the ``CaseEvent`` in the caller's transaction,
so the case and its history can never disagree.
"""
from dataclasses import dataclass
from datetime import datetime

from models import Case, CaseEvent

OPEN = frozenset({"received", "assigned", "accepted", "in_progress", "transferred",
                  "escalated_township", "escalated_county", "reopened"})
HANDLING = frozenset({"accepted", "in_progress", "escalated_township", "escalated_county", "reopened"})
STATES = OPEN | {"resolved", "confirmed", "closed_unresolved"}


@dataclass(frozen=True)
class Move:
    """An action's allowed source states and its target (None: the state stays)."""

    sources: frozenset[str]
    target: str | None


# "closed is not fixed": closed_unresolved is a separate end state, never counted as resolved.
MOVES: dict[str, Move] = {
    "assign": Move(frozenset({"received"}), "assigned"),
    "supplement": Move(OPEN, None),  # a later message from the resident, or a photo
    "co_report": Move(OPEN, None),  # another villager reported the same problem
    "accept": Move(frozenset({"assigned", "transferred"}), "accepted"),
    "note": Move(OPEN, None),
    "start": Move(frozenset({"accepted", "reopened"}), "in_progress"),
    "transfer": Move(frozenset({"assigned", "transferred"}) | HANDLING, "transferred"),
    "reclassify": Move(OPEN, None),
    "escalate_township": Move(HANDLING - {"escalated_township", "escalated_county"}, "escalated_township"),
    "escalate_county": Move(frozenset({"escalated_township"}), "escalated_county"),
    "resolve": Move(HANDLING, "resolved"),
    "close_unresolved": Move(OPEN, "closed_unresolved"),
    "confirm": Move(frozenset({"resolved"}), "confirmed"),
    "reopen": Move(frozenset({"resolved", "confirmed"}), "reopened"),
}


class IllegalMove(Exception):
    """The action is not allowed in the case's current state."""

    def __init__(self, case: Case, action: str) -> None:
        super().__init__(f"{action} not allowed in state {case.state}")
        self.state = case.state
        self.action = action


def allowed(state: str, action: str) -> bool:
    """Whether ``action`` may be taken in ``state``."""
    move = MOVES.get(action)
    return move is not None and state in move.sources


def apply(session, case: Case, action: str, *, actor_kind: str, actor_id: int | None, now: datetime,
          note: str = "", data: dict | None = None) -> CaseEvent:
    """Move ``case`` by ``action`` and append the ledger entry, or raise IllegalMove."""
    if not allowed(case.state, action):
        raise IllegalMove(case, action)
    before = case.state
    target = MOVES[action].target
    if target:
        case.state = target
    entry = CaseEvent(case=case, actor_kind=actor_kind, actor_id=actor_id, action=action, from_state=before,
                      to_state=case.state, note=note, data=data or {}, at=now)
    session.add(entry)
    return entry


def receive(session, case: Case, *, now: datetime, resident_id: int | None = None, actor_kind: str = "resident",
            actor_id: int | None = None, data: dict | None = None) -> CaseEvent:
    """The first ledger entry of a case: it was received from a resident (or a client system, ``actor_kind='api'``)."""
    entry = CaseEvent(case=case, actor_kind=actor_kind, actor_id=resident_id if actor_id is None else actor_id,
                      action="receive", from_state="",
                      to_state=case.state, note=case.text, data=data or {}, at=now)
    session.add(entry)
    return entry
