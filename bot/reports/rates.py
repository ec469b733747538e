"""The three rates (响应率, 解决率, 满意率), defined once and computed by SQL aggregation.

Every figure is about the cases *received* in a period, as they stand at ``now``:

* 响应率 = cases accepted by their contact time limit / cases due for contact
  (the limit has passed, or the case was accepted already);
* 解决率 = resolved cases (state resolved or confirmed: ``DONE``) / cases due for resolution
  (the resolve limit has passed, or the case has ended: ``ENDED``, which includes closed
  unresolved, so a case closed without solving weighs on the rate and never counts as resolved);
* 满意率 = confirmed cases / cases that got a verdict (confirmed, or reopened at least once).

A co-reported case counts once; a reopened case counts as resolved only once resolved again;
escalated cases count like any other, under their village. The states (``DONE``, ``ENDED``) and
"overdue" (``Case.overdue``) are defined once, in models/case.py. Complaints and inquiries (咨询)
are counted apart: the rates are the complaints' unless ``kind="inquiry"`` is asked for.
"""
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import case, func, or_, select

from models import Case, Township, Village
from models.case import DONE, ENDED

GROUPS = ("village", "cadre", "category", "township", "county")


@dataclass
class Tally:
    """Counts behind the three rates for one group of cases."""

    received: int = 0
    contact_due: int = 0
    contacted: int = 0
    resolve_due: int = 0
    resolved: int = 0
    verdicts: int = 0
    satisfied: int = 0
    overdue: int = 0

    @property
    def response_rate(self) -> float | None:
        """响应率, or None with nothing due."""
        return self.contacted / self.contact_due if self.contact_due else None

    @property
    def resolve_rate(self) -> float | None:
        """解决率, or None with nothing due."""
        return self.resolved / self.resolve_due if self.resolve_due else None

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率, or None without verdicts."""
        return self.satisfied / self.verdicts if self.verdicts else None

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def columns(now: datetime) -> list:
    """The aggregate columns, in ``Tally`` field order."""
    return [
        func.count(),  # not count(id): the index covering these columns has no id
        _count(or_(Case.accepted_at.is_not(None), Case.contact_due_at <= now)),
        _count(Case.accepted_at <= Case.contact_due_at),
        _count(or_(Case.state.in_(ENDED), Case.resolve_due_at <= now)),
        _count(Case.state.in_(DONE)),
        _count(or_(Case.state == "confirmed", Case.reopened > 0)),
        _count(Case.state == "confirmed"),
        _count(Case.overdue(now)),
    ]


def _key(by: str):
    """The case-level grouping column (township and county roll villages up afterwards)."""
    if by == "cadre":
        return func.coalesce(Case.owner_id, Case.assignee_id)
    if by == "category":
        return Case.category
    return Case.village_id


def tallies(session, start: datetime, end: datetime, now: datetime, by: str = "village",
            villages=None, category: str | None = None, kind: str = "complaint") -> dict:
    """Tallies of cases of ``kind`` received in [start, end) per ``by`` key, within ``villages`` (ids or a select)."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    key = _key(by).label("key")
    query = select(key, *columns(now)).where(Case.received_at >= start, Case.received_at < end, Case.kind == kind)
    if villages is not None:
        query = query.where(Case.village_id.in_(villages))
    if category:
        query = query.where(Case.category == category)
    inner = query.group_by(key)
    if by in ("township", "county"):
        inner = _roll_up(inner.subquery(), by)
    return {row[0]: Tally(*(int(value or 0) for value in row[1:])) for row in session.execute(inner)}


def _roll_up(per_village, by: str):
    """Sum per-village tallies to townships or counties (villages are few; cases many)."""
    group = Village.township_id if by == "township" else Township.county
    sums = [func.sum(c) for c in list(per_village.c)[1:]]
    query = select(group.label("key"), *sums).select_from(per_village).join(Village, Village.id == per_village.c.key)
    if by == "county":
        query = query.join(Township, Township.id == Village.township_id)
    return query.group_by(group)


def percent(rate: float | None) -> str:
    """A rate as ``87%`` (``—`` when undefined)."""
    return "—" if rate is None else f"{rate * 100:.0f}%"
