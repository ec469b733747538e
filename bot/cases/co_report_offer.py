"""The co-report offer: a near-identical open case is offered, never forced ("是" joins, "否" files apart).

The resident's report waits in ``CoReportOffer`` (one per resident) until they answer, write
something else, or the offer expires; in the last two cases it is filed as its own case, so a
report is never lost. The offer names the case by its number, category and the words the
resident themselves used: nothing of the other reporter's text.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.cases import case_life
from bot.cases.filing import Filed, co_report, open_new, supplement, words
from models import Case, CaseReporter, CoReportOffer, Resident

SUMMARY_WORDS = 4


def public_summary(text: str, case: Case) -> str:
    """The words the resident wrote that the case shares (in their order): what the offer may show."""
    theirs = set(case.words or [])
    seen: list[str] = []
    for word in sorted(words(text) & theirs, key=lambda w: text.find(w)):
        if word not in seen:
            seen.append(word)
    return "、".join(seen[:SUMMARY_WORDS])


def offer(session, resident: Resident, case: Case, text: str, media: list[dict], config: dict,
          now: datetime) -> CoReportOffer:
    """Hold the resident's report and offer to join it to ``case`` (replacing an older offer)."""
    session.execute(delete(CoReportOffer).where(CoReportOffer.resident_id == resident.id))
    minutes = config["cases"]["co_report"]["offer_minutes"]
    row = CoReportOffer(resident_id=resident.id, case=case, text=text, media=media or [],
                        expires_at=now + timedelta(minutes=minutes))
    session.add(row)
    return row


def waiting(session, resident_id: int) -> CoReportOffer | None:
    """The resident's open offer, expired or not."""
    return session.get(CoReportOffer, resident_id)


def answer(session, resident: Resident, row: CoReportOffer, join: bool, config: dict, classifier,
           now: datetime) -> Filed:
    """Join the case ("是", while it is open and the offer fresh) or file the report as its own case."""
    case = row.case
    session.delete(row)
    already = session.scalar(select(CaseReporter.id).where(CaseReporter.case_id == case.id,
                                                           CaseReporter.resident_id == resident.id))
    if join and case.state in case_life.OPEN and row.expires_at > now and already is None:
        co_report(session, case, resident, row.text, now)
        if row.media:  # a co-reporter's photo or voice belongs to the case too
            supplement(session, case, resident, "", row.media, now)
        return Filed(case, "co_report")
    return Filed(open_new(session, resident, row.text, classifier.classify(row.text), config, now, row.media or []),
                 "new")


def settle_expired(session, config: dict, classifier, now: datetime) -> int:
    """File every expired offer as its own case (nobody answered); returns how many."""
    rows = session.scalars(select(CoReportOffer).where(CoReportOffer.expires_at <= now)).all()
    for row in rows:
        answer(session, session.get(Resident, row.resident_id), row, False, config, classifier, now)
    return len(rows)
