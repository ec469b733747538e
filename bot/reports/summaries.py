"""The queries behind summaries: oldest open and overdue cases, the escalation agenda, records."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from bot.cases.permissions import not_about
from bot.reports.periods import Period
from models import Case, DiaryEntry, Escalation, Inspection, Notification, Township, Village


def _open(villages, viewer: int | None = None):
    """Open cases of the villages (the partial index ix_case_open_village_received serves this).

    ``viewer``: the cadre who will read the list; complaints about them are left out.
    """
    query = select(Case).where(Case.village_id.in_(villages), Case.open).options(
        joinedload(Case.owner), joinedload(Case.assignee), joinedload(Case.village))
    return query.where(not_about(viewer)) if viewer is not None else query


def oldest_open(session, villages, limit: int = 5, viewer: int | None = None) -> list[Case]:
    """The ``limit`` oldest unresolved cases of the villages (none about ``viewer``)."""
    return list(session.scalars(_open(villages, viewer).order_by(Case.received_at, Case.id).limit(limit)))


def overdue(session, villages, now: datetime, limit: int = 50, viewer: int | None = None) -> list[Case]:
    """Overdue cases (``Case.overdue``), most overdue first (none about ``viewer``)."""
    return list(session.scalars(_open(villages, viewer).where(Case.overdue(now)).order_by(Case.due_at, Case.id)
                                .limit(limit)))


def escalated(session, township_id: int) -> list[tuple[Case, Escalation | None]]:
    """Open cases of the township waiting for its special meeting, with their latest escalation."""
    cases = session.scalars(_open(select(Village.id).where(Village.township_id == township_id))
                            .where(Case.state == "escalated_township").order_by(Case.category, Case.received_at))
    result = []
    for case in cases:
        latest = session.scalar(select(Escalation).where(Escalation.case_id == case.id)
                                .order_by(Escalation.at.desc(), Escalation.id.desc()).limit(1))
        result.append((case, latest))
    return result


def category_counts(session, villages, period: Period) -> dict[str, int]:
    """Complaints received in the period per category, most first (inquiries are counted apart)."""
    rows = session.execute(select(Case.category, func.count()).where(
        Case.village_id.in_(villages), Case.kind == "complaint", Case.received_at >= period.start, Case.received_at < period.end,
    ).group_by(Case.category).order_by(func.count().desc(), Case.category))
    return dict(rows.all())


def given_up_pushes(session, villages, period: Period) -> dict[int, int]:
    """Pushes about the villages' cases that were given up in the period, per village."""
    rows = session.execute(select(Case.village_id, func.count()).join(Notification, Notification.case_id == Case.id)
                           .where(Case.village_id.in_(villages), Notification.state == "given_up",
                                  Notification.created_at >= period.start, Notification.created_at < period.end)
                           .group_by(Case.village_id))
    return dict(rows.all())


def diary_counts(session, villages, period: Period) -> dict[int, int]:
    """Diary entries written in the period per village."""
    rows = session.execute(select(DiaryEntry.village_id, func.count()).where(
        DiaryEntry.village_id.in_(villages), DiaryEntry.at >= period.start, DiaryEntry.at < period.end,
    ).group_by(DiaryEntry.village_id))
    return dict(rows.all())


def absences(session, period: Period, by_township: bool = True, villages=None) -> dict[int, int]:
    """Inspections that found the team absent (缺岗) in the period, per township (or village)."""
    key = Village.township_id if by_township else Inspection.village_id
    query = select(key, func.count()).select_from(Inspection).join(Village, Village.id == Inspection.village_id).where(
        Inspection.present.is_(False), Inspection.at >= period.start, Inspection.at < period.end)
    if villages is not None:
        query = query.where(Inspection.village_id.in_(villages))
    return dict(session.execute(query.group_by(key)).all())


def townships_of_county(session, county: str) -> list[Township]:
    """The county's townships, in roster order."""
    return list(session.scalars(select(Township).where(Township.county == county).order_by(Township.id)))


def age_days(case: Case, now: datetime) -> int:
    """Whole days since the case was received."""
    return max(0, (now - case.received_at).days)
