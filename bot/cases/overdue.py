"""The overdue ladder: the owner before the time limit, the team leader too at it, and when
N working days late the township secretary and the supervisors, flagged for 通报.

The time limit is the case's ``due_at`` (models/case.py, where "overdue" is defined): the contact
limit until someone accepts the case, then the resolve limit.

Every rung's source names the case, its due time and the rung, so a scan run twice (or by two
schedulers) tells nobody twice, and a case given a new time limit gets a new ladder.
"""
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from bot.cases.outbox import notify
from bot.timefmt import short, working_days_after
from models import Cadre, Case


def overdue_ladder(session, config: dict, now: datetime) -> int:
    """Write the reminders due at ``now`` for every open case; returns how many were new."""
    rules = config["notifications"]["schedules"]
    soon = now + timedelta(hours=rules["remind_before_hours"])
    cases = session.scalars(select(Case).where(Case.open, Case.due_at <= soon)
                            .order_by(Case.id)).all()
    return sum(_climb(session, case, config, now) for case in cases)


def _climb(session, case: Case, config: dict, now: datetime) -> int:
    """The rungs of one case reached at ``now``."""
    rules, texts = config["notifications"]["schedules"], config["notifications"]["texts"]
    due, owner = case.due_at, case.owner or case.assignee
    source = f"overdue:{case.id}:{int(due.timestamp())}"
    fields = {"number": case.number, "category": case.category, "village": case.village.name,
              "due": short(due), "owner": owner.name if owner else "未分配", "days": rules["late_working_days"],
              "reply": f"接单 {case.number}" if case.accepted_at is None else f"办结 {case.number} 答复"}

    def tell(rung: str, cadre: Cadre, kind: str) -> int:
        row = notify(session, f"{source}:{rung}", cadre, kind, texts[kind].format(**fields), case_id=case.id,
                     title=texts[f"{kind}_title"].format(**fields), urgent=case.urgent)
        return row is not None

    if now < due:
        return tell("before", owner, "remind_before") if owner else 0
    told = tell("due", owner, "overdue_owner") if owner else 0
    leader = case.village.team.leader if case.village.team else None
    if leader and leader is not owner:
        told += tell("leader", leader, "overdue_leader")
    if now >= working_days_after(due, rules["late_working_days"]):
        told += sum(tell("flagged", cadre, "overdue_flagged") for cadre in _overseers(session, case))
    return told


def _overseers(session, case: Case) -> list[Cadre]:
    """The township's secretary and the supervisors of its county (or of the whole city)."""
    township = case.village.township
    return session.scalars(select(Cadre).where(Cadre.active.is_(True), or_(
        (Cadre.role == "secretary") & (Cadre.township_id == township.id),
        (Cadre.role == "supervisor") & Cadre.county.in_((township.county, ""))),
    ).order_by(Cadre.id)).all()
