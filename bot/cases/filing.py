"""Filing what residents send: a new case, a supplement to the one just opened, or a co-report.

Pure domain rules over the models; handlers call these and phrase the replies.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.cases import case_life
from bot.cases.accused import accused, exclude
from bot.cases.case_life import assign, co_report, supplement
from bot.cases.classifier import UNSORTED, Classification, tokens
from bot.cases.outbox import notify
from bot.cases.routing import route_why, team_leader, township_handler
from bot.cases.same_problem import report, same_problem
from bot.media.attachments import track
from bot.reading.normalise import normalise
from bot.timefmt import working_days_after
from models import Cadre, Case, CaseCounter, CaseReporter, Resident, Village
from models.roster import OFFLINE
from models.case import ENDED


@dataclass(frozen=True)
class Filed:
    """What happened to a resident's message: which case, and how it got there."""

    case: Case
    how: str  # new | supplement | co_report | offer (a near-identical case is offered: 是/否)
    summary: str = ""  # an offer's public summary of the case (bot/cases/co_report_offer.py)


INQUIRY = "咨询"  # the category of every inquiry: a question for a cadre, not a complaint


def due_times(config: dict, category: str, now: datetime, urgent: bool = False,
              kind: str = "complaint") -> tuple[datetime, datetime, bool]:
    """Contact and resolve due times for a category (or an inquiry), and whether it is urgent."""
    limits = config["time_limits"]
    emergency = urgent  # an emergency keeps the urgent limits whatever its category
    urgent = urgent or bool((config["categories"].get(category) or {}).get("urgent"))
    # An inquiry's own limits; else the category's own (治安, 卫生计生 are shorter), the urgent ones, the default.
    own = None if emergency or kind == "inquiry" else (limits.get("categories") or {}).get(category)
    rule = own or limits["urgent" if urgent else "inquiry" if kind == "inquiry" and "inquiry" in limits else "default"]
    contact = timedelta(hours=rule["contact_hours"])
    resolve = timedelta(hours=rule.get("resolve_hours", 0), days=rule.get("resolve_days", 0))
    if limits.get("working_days") and not urgent:
        return now + contact, working_days_after(now, resolve.days), urgent
    return now + contact, now + resolve, urgent


def next_number(session, village: Village, now: datetime) -> str:
    """The next readable case number of the village's township, e.g. JH-2026-00123."""
    township = village.township
    # One UPDATE ... RETURNING: the row lock makes concurrent requests take turns.
    bump = (update(CaseCounter).where(CaseCounter.township_id == township.id, CaseCounter.year == now.year)
            .values(last=CaseCounter.last + 1).returning(CaseCounter.last))
    last = session.scalar(bump)
    if last is None:  # the township's first case this year
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(CaseCounter).values(township_id=township.id, year=now.year, last=0)
                        .on_conflict_do_nothing())
        last = session.scalar(bump)
    return f"{township.code or f'T{township.id}'}-{now.year}-{last:05d}"


@lru_cache(maxsize=64)  # a new case's text is cut for the co-report check and again for its record
def words(text: str) -> frozenset[str]:
    """The text's jieba words of two or more characters (single characters say little)."""
    return frozenset(token for token in tokens(text) if len(token) > 1)


def recent_own_case(session, resident: Resident, window: timedelta, now: datetime) -> Case | None:
    """The resident's own open case that they wrote to within ``window`` (to add to, not duplicate)."""
    # Three columns first: most messages are not supplements, so the full case is rarely loaded.
    latest = session.execute(select(Case.id, Case.state, Case.updated_at).where(Case.resident_id == resident.id)
                             .order_by(Case.id.desc()).limit(1)).first()
    if latest is not None and latest.state not in ENDED and latest.updated_at >= now - window:
        return session.get(Case, latest.id)
    return None


def find_co_report(session, village_id: int, category: str, text: str, config: dict,
                   now: datetime) -> Case | None:
    """An open case in the same village and category that reports the same problem (bot/cases/same_problem.py)."""
    rule = config["cases"]["co_report"]
    candidates = session.execute(select(Case.id, Case.words, Case.text).where(
        Case.village_id == village_id, Case.category == category, Case.hidden_complainant.is_(False),
        Case.open, Case.received_at >= now - timedelta(days=rule["days"]),
    ).order_by(Case.id.desc()).limit(50))
    mine = report(text, words(text))
    for case_id, their_words, their_text in candidates:
        # The first report's text only (later supplements may name other places).
        if same_problem(mine, report(their_text.split("\n", 1)[0], their_words), rule["min_shared"],
                        rule["min_overlap"]):
            return session.get(Case, case_id)
    return None


def file_text(session, resident: Resident, text: str, config: dict, classifier, now: datetime,
              media: list[dict] | None = None, urgent: bool = False) -> Filed:
    """File a bound resident's text as a supplement, a co-report or a new case (urgent: always new)."""
    verdict = classifier.classify(normalise(text))  # Cantonese and traditional read as Mandarin; the case keeps the text
    if urgent:
        return Filed(open_case(session, resident, text, verdict, config, now, media or [], urgent=True), "new")
    window = timedelta(minutes=config["cases"]["intake_window_minutes"])
    own = recent_own_case(session, resident, window, now)
    if own is not None and not another_complaint(own, text, verdict, config):
        supplement(session, own, resident, text, media or [], now)
        return Filed(own, "supplement")
    twin = find_co_report(session, resident.village_id, verdict.category, text, config, now)
    if twin is not None and twin.resident_id != resident.id and _reports(session, twin, resident):
        co_report(session, twin, resident, text, now)  # already one of its reporters: no question
        if media:  # a co-reporter's photo or voice belongs to the case too
            supplement(session, twin, resident, "", media, now)
        return Filed(twin, "co_report")
    if twin is not None and twin.resident_id != resident.id:
        # Offered, never forced: the resident answers 是/否 (bot/cases/co_report_offer.py).
        from bot.cases.co_report_offer import offer, public_summary  # it builds on this module

        offer(session, resident, twin, text, media or [], config, now)
        return Filed(twin, "offer", public_summary(text, twin))
    return Filed(open_case(session, resident, text, verdict, config, now, media or []), "new")


def another_complaint(case: Case, text: str, verdict, config: dict) -> bool:
    """Whether a message in the fragment window is a complete complaint of another category (its own case)."""
    rule = config["cases"].get("fragment", {})
    return (case.kind == "complaint" and verdict.category not in (UNSORTED, case.category)
            and verdict.confidence >= rule.get("new_case_confidence", 0.6)
            and len(normalise(text)) >= rule.get("new_case_min_chars", 10))


def _reports(session, case: Case, resident: Resident) -> bool:
    """Whether the resident is already one of the case's reporters."""
    return session.scalar(select(CaseReporter.id).where(CaseReporter.case_id == case.id,
                                                        CaseReporter.resident_id == resident.id)) is not None


def open_inquiry(session, resident: Resident, text: str, config: dict, now: datetime) -> Case:
    """A question the bot could not answer, as an inquiry for the village's responsible cadre."""
    return open_case(session, resident, text, Classification(INQUIRY, 1.0, ()), config, now, [], kind="inquiry")


def alert_emergency(session, case: Case, config: dict) -> list:
    """Push an emergency at once (urgent: past quiet hours) to the team leader and the township duty contact."""
    routing = config.get("routing") or {}
    duty = None
    if routing.get("duty_contact_phone"):
        duty = session.scalar(select(Cadre).where(Cadre.phone == str(routing["duty_contact_phone"]),
                                                  Cadre.active.is_(True)))
    recipients = {c.id: c for c in (team_leader(case.village), duty or township_handler(session, case.village, routing))
                  if c is not None}
    content = config["texts"]["push_emergency"].format(number=case.number, village=case.village.name,
                                                       text=case.text[:200])
    for cadre in recipients.values():
        notify(session, f"emergency:{case.id}", cadre, "emergency", content, case_id=case.id,
               title=f"紧急 {case.number}", urgent=True)
    return list(recipients.values())


def file_for(session, cadre: Cadre, village: Village, name: str, phone: str, text: str, config: dict, classifier,
             now: datetime) -> Case:
    """A cadre files a case for a villager met in person (代录): a reporter without WeChat, routed as any other."""
    resident = Resident(openid=f"{OFFLINE}{uuid.uuid4().hex}", village=village, bound_at=now, name=name,
                        phone=phone, phone_asked=True)
    session.add(resident)
    return open_case(session, resident, text, classifier.classify(normalise(text)), config, now, [], by=cadre)


def open_case(session, resident: Resident, text: str, verdict, config: dict, now: datetime,
              media: list[dict], urgent: bool = False, kind: str = "complaint",
              actor: tuple | None = None, by: Cadre | None = None) -> Case:
    """Create, route and announce a new case (or inquiry), with its first ledger entries.

    ``actor``: (kind, id, data) of a client system that filed it; ``by``: the cadre who recorded it (代录).
    """
    village = resident.village
    # A complaint about cadres goes to the township, its complainant hidden, away from those it names.
    about, people = accused(session, village, normalise(text), verdict.category, config)
    routed = route_why(session, village, verdict.category, config, exclude={c.id for c in people},
                       township=about)  # before the case exists: one INSERT, no UPDATE
    contact_due, resolve_due, urgent = due_times(config, verdict.category, now, urgent, kind)
    case = Case(number=next_number(session, village, now), state="received", kind=kind, village=village,
                resident=resident, text=text,
                media=media, words=sorted(words(text)), category=verdict.category, confidence=verdict.confidence,
                explanation=list(verdict.explanation), urgent=urgent,
                suggested=list(verdict.suggestions) if verdict.category == UNSORTED else [],
                hidden_complainant=about,
                received_at=now, updated_at=now, contact_due_at=contact_due, resolve_due_at=resolve_due)
    session.add(case)
    exclude(session, case, people)
    session.add(CaseReporter(case=case, resident=resident, text=text, joined_at=now))
    track(session, case, media, now)
    if resident.id is None:  # a 代录 reporter is new: its id goes into the first ledger entry
        session.flush()
    actor_kind, actor_id, data = actor or ("resident", resident.id, None)
    case_life.receive(session, case, resident_id=resident.id, actor_kind=actor_kind, actor_id=actor_id, now=now,
                      data=data, by=by)
    assign(session, case, routed.cadre, config, now, actor=None, why=routed.reason)
    return case
