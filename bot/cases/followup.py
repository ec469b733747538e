"""The follow-up call (回访): the day after a case is resolved, its first reporter is asked to reply
``满意 N`` or ``不满意 N 原因`` (co-reporters get the answer, not the question: the verdict is the
first reporter's, handlers/resident.py).

Only a reporter who has not given a verdict is asked; the source names the case and the time
it was resolved, so a case resolved again after a reopen is followed up again, once.
"""
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.cases.outbox import notify
from bot.timefmt import CHINA, short, time_of_day
from models import Case, CaseReporter


def ask_at(resolved_at: datetime, config: dict) -> datetime:
    """The follow-up time: the configured hour of the day after the resolution, China time."""
    day = resolved_at.astimezone(CHINA).date() + timedelta(days=1)
    return datetime.combine(day, time_of_day(config["notifications"]["schedules"]["followup_at"]), CHINA)


def followups(session, config: dict, now: datetime) -> int:
    """Ask the reporters of cases resolved the day before (or a few days, after downtime)."""
    rules, texts = config["notifications"]["schedules"], config["notifications"]["texts"]
    patience = timedelta(days=rules["followup_max_days"])
    cases = session.scalars(select(Case).where(Case.state == "resolved", Case.resolved_at.is_not(None),
                                               Case.resolved_at >= now - patience - timedelta(days=2))
                            .order_by(Case.id)).all()
    told = 0
    for case in cases:
        start = ask_at(case.resolved_at, config)
        if not start <= now < start + patience:
            continue
        fields = {"number": case.number, "resolved": short(case.resolved_at)}
        reporters = session.scalars(select(CaseReporter).where(CaseReporter.case_id == case.id,
                                                               CaseReporter.resident_id == case.resident_id,
                                                               CaseReporter.verdict == "")
                                    .order_by(CaseReporter.id)).all()
        for reporter in reporters:
            row = notify(session, f"followup:{case.id}:{int(case.resolved_at.timestamp())}", reporter.resident,
                         "followup", texts["followup"].format(**fields), case_id=case.id,
                         title=texts["followup_title"].format(**fields))
            told += row is not None
    return told
