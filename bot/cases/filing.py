"""Filing what residents send: a new case, a supplement to the one just opened, or a co-report.

Pure domain rules over the models; handlers call these and phrase the replies.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

from bot.cases import case_life, ledger, roster_view
from bot.cases.accused import accused
from bot.cases.case_life import assign_push, co_report, push_fields, supplement
from bot.cases.classifier import UNSORTED, Classification, tokens
from bot.cases.outbox import notify
from bot.cases.routing import route_why, team_leader, township_handler
from bot.cases.roster_view import runtime_cache
from bot.cases.same_problem import Report, report, same_problem
from bot.media.attachments import track
from bot.reading.normalise import normalise
from bot.roster.facts import CadreFact
from bot.timefmt import working_days_after
from models import Cadre, Case, CaseReporter, CoReportOffer, Resident, Village
from models.base import UTCDateTime
from models.roster import OFFLINE
from models.case import ENDED


@dataclass(frozen=True)
class Filed:
    """What happened to a resident's message: which case, and how it got there."""

    case: "Case | Opened"  # a new case is the Opened view, a supplemented one its ``standing`` row; else loaded
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
    return ledger.number(session, village.township.id, village.township.code, now)


@lru_cache(maxsize=64)  # a new case's text is cut for the co-report check and again for its record
def words(text: str) -> frozenset[str]:
    """The text's jieba words of two or more characters (single characters say little)."""
    return frozenset(token for token in tokens(text) if len(token) > 1)


_CASE, _OFFER, _RESIDENT = Case.__table__, CoReportOffer.__table__, Resident.__table__
_MINE = _CASE.alias("mine")
# One statement for what every resident message needs to know before filing: whether a co-report
# offer waits for an answer, and the resident's latest case (a supplement goes to it).
_STANDING = (select(_OFFER.c.resident_id.label("offer"), _CASE.c.id, _CASE.c.number, _CASE.c.state, _CASE.c.kind,
                    _CASE.c.category, _CASE.c.updated_at)
             .select_from(_RESIDENT.outerjoin(_OFFER, _OFFER.c.resident_id == _RESIDENT.c.id).outerjoin(
                 _CASE, _CASE.c.id == select(func.max(_MINE.c.id)).where(_MINE.c.resident_id == _RESIDENT.c.id)
                 .correlate(_RESIDENT).scalar_subquery()))
             .where(_RESIDENT.c.id == bindparam("resident")))


def standing(session, resident_id: int):
    """Whether an offer waits for the resident (``.offer``), and their latest case's id, number, state, kind,
    category and updated_at (``.id`` None: no case yet)."""
    return session.connection().execute(_STANDING, {"resident": resident_id}).one()


def recent(latest, window: timedelta, now: datetime) -> bool:
    """Whether the latest case (a ``standing`` row) is open and was written to within ``window``."""
    return latest.id is not None and latest.state not in ENDED and latest.updated_at >= now - window


def recent_own_case(session, resident: Resident, window: timedelta, now: datetime) -> Case | None:
    """The resident's own open case that they wrote to within ``window`` (to add to, not duplicate)."""
    latest = standing(session, resident.id)
    return session.get(Case, latest.id) if recent(latest, window, now) else None


OPENED = "cases_opened"  # key in Session.info: ids of the cases this session opened

# Co-report candidates by id alone; the rule's view of each case is kept per runtime (a case's first
# report and its words never change), so only cases this process has not seen are read in full.
_CANDIDATES = (select(_CASE.c.id).where(
    _CASE.c.village_id == bindparam("village"), _CASE.c.category == bindparam("category"),
    _CASE.c.hidden_complainant.is_(False), _CASE.c.state.not_in(ENDED),
    _CASE.c.received_at >= bindparam("since", type_=UTCDateTime())).order_by(_CASE.c.id.desc()).limit(50))
_FIRST_REPORTS = select(_CASE.c.id, _CASE.c.words, _CASE.c.text).where(
    _CASE.c.id.in_(bindparam("ids", expanding=True)))


def first_report(text: str, case_words) -> Report:
    """The co-report rule's view of a case: its first report's text only (later supplements may name other places)."""
    return report(text.split("\n", 1)[0], case_words)


def find_co_report(session, village_id: int, category: str, text: str, config: dict,
                   now: datetime) -> Case | None:
    """An open case in the same village and category that reports the same problem (bot/cases/same_problem.py)."""
    rule = config["cases"]["co_report"]
    db = session.connection()
    ids = list(db.execute(_CANDIDATES, {"village": village_id, "category": category,
                                        "since": now - timedelta(days=rule["days"])}).scalars())
    if not ids:
        return None
    kept = runtime_cache(session, "first_reports")
    kept = {} if kept is None else kept
    seen = {case_id: kept[case_id] for case_id in ids if case_id in kept}
    missing = [case_id for case_id in ids if case_id not in seen]
    if missing:
        ours = session.info.get(OPENED, ())  # not committed yet: kept only once they are (a rollback may reuse ids)
        for case_id, their_words, their_text in db.execute(_FIRST_REPORTS, {"ids": missing}):
            seen[case_id] = first_report(their_text, their_words)
            if case_id not in ours:
                kept[case_id] = seen[case_id]
    mine = report(text, words(text))
    for case_id in ids:
        if case_id in seen and same_problem(mine, seen[case_id], rule["min_shared"], rule["min_overlap"]):
            return session.get(Case, case_id)
    return None


def file_text(session, resident: Resident, text: str, config: dict, classifier, now: datetime,
              media: list[dict] | None = None, urgent: bool = False, latest=None) -> Filed:
    """File a bound resident's text as a supplement, a co-report or a new case (urgent: always new).

    ``latest``: the resident's ``standing`` row when the caller has just read it.
    """
    verdict = classifier.classify(normalise(text))  # Cantonese and traditional read as Mandarin; the case keeps the text
    if urgent:
        return Filed(open_new(session, resident, text, verdict, config, now, media or [], urgent=True), "new")
    window = timedelta(minutes=config["cases"]["intake_window_minutes"])
    latest = latest or standing(session, resident.id)
    if recent(latest, window, now) and not another_complaint(latest, text, verdict, config):
        if media or not text or not case_life.append(session, latest.id, resident.id, text, now):
            supplement(session, session.get(Case, latest.id), resident, text, media or [], now)  # refuses if ended
        return Filed(latest, "supplement")
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
    return Filed(open_new(session, resident, text, verdict, config, now, media or []), "new")


def another_complaint(case, text: str, verdict, config: dict) -> bool:
    """Whether a message in the fragment window is a complete complaint of another category (its own case).

    A message that opens as an addition ("补充一下，就在小卖部门口") adds to the case whatever its words
    suggest: naming a place or a shop is not a new problem. A case still unsorted (a photo sent first,
    a fragment) has no category for the message to differ from: the message completes it.
    """
    rule = config["cases"].get("fragment", {})
    read = normalise(text).lstrip(" ，,。.：:、！!")
    if read.startswith(tuple(rule.get("supplement_openers") or ())):
        return False
    return (case.kind == "complaint" and case.category != UNSORTED and verdict.category not in (UNSORTED, case.category)
            and verdict.confidence >= rule.get("new_case_confidence", 0.6)
            and len(read) >= rule.get("new_case_min_chars", 10))


def _reports(session, case: Case, resident: Resident) -> bool:
    """Whether the resident is already one of the case's reporters."""
    return session.scalar(select(CaseReporter.id).where(CaseReporter.case_id == case.id,
                                                        CaseReporter.resident_id == resident.id)) is not None


def open_inquiry(session, resident: Resident, text: str, config: dict, now: datetime) -> "Opened":
    """A question the bot could not answer, as an inquiry for the village's responsible cadre."""
    return open_new(session, resident, text, Classification(INQUIRY, 1.0, ()), config, now, [], kind="inquiry")


def alert_emergency(session, case: "Case | Opened", config: dict) -> list:
    """Push an emergency at once (urgent: past quiet hours) to the team leader and the township duty contact."""
    village = session.get(Village, case.village_id)
    routing = config.get("routing") or {}
    duty = None
    if routing.get("duty_contact_phone"):
        duty = session.scalar(select(Cadre).where(Cadre.phone == str(routing["duty_contact_phone"]),
                                                  Cadre.active.is_(True)))
    recipients = {c.id: c for c in (team_leader(village), duty or township_handler(session, village, routing))
                  if c is not None}
    content = config["texts"]["push_emergency"].format(number=case.number, village=village.name,
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


@dataclass(frozen=True)
class Opened:
    """A case just opened, as filing wrote it: what receipts and pushes need, without loading it back."""

    id: int
    number: str
    kind: str
    category: str
    village_id: int
    resident_id: int
    text: str
    assignee: CadreFact | None  # routed to (None: nobody on the roster)
    why: str  # the routing reason, as its assign entry keeps it
    urgent: bool
    received_at: datetime
    contact_due_at: datetime
    resolve_due_at: datetime
    state: str = "assigned"
    owner = None  # nobody has accepted it yet
    reporters: int = 1


def open_case(session, resident: Resident, text: str, verdict, config: dict, now: datetime,
              media: list[dict], urgent: bool = False, kind: str = "complaint",
              actor: tuple | None = None, by: Cadre | None = None) -> Case:
    """``open_new``, and the case loaded (for callers that go on with the ORM: the API, 代录, offers)."""
    return session.get(Case, open_new(session, resident, text, verdict, config, now, media, urgent, kind, actor, by).id)


def open_new(session, resident: Resident, text: str, verdict, config: dict, now: datetime,
             media: list[dict], urgent: bool = False, kind: str = "complaint",
             actor: tuple | None = None, by: Cadre | None = None) -> Opened:
    """Create, route and announce a new case (or inquiry), with its first ledger entries.

    A few Core statements (bot/cases/ledger.py): the number, the case, its reporter, its receive and
    assign entries in one INSERT, the assignee's push; no unit of work. ``actor``: (kind, id, data)
    of a client system that filed it; ``by``: the cadre who recorded it (代录).
    """
    if resident.id is None:  # a 代录 reporter is new: its id goes into the case and the first ledger entry
        session.flush()
    # Cached roster facts: no statement. (A resident binding in this message has the village, not yet its id.)
    village = roster_view.village(session, resident.village.id if resident.village_id is None else resident.village_id)
    # A complaint about cadres goes to the township, its complainant hidden, away from those it names.
    about, people = accused(session, village.id, normalise(text), verdict.category, config)
    routed = route_why(session, village.id, verdict.category, config, exclude={c.id for c in people},
                       township=about)
    contact_due, resolve_due, urgent = due_times(config, verdict.category, now, urgent, kind)
    number = ledger.number(session, village.township_id, village.township_code, now)
    assignee = routed.cadre
    suggested = list(verdict.suggestions) if verdict.category == UNSORTED else []
    actor_kind, actor_id, data = actor or ("resident", resident.id, None)
    if by is not None:
        actor_kind, actor_id, data = "cadre", by.id, {"for": resident.id}
    push = None
    if assignee is not None:
        content, title = assign_push(config["texts"], push_fields(number, village.name, verdict.category, text,
                                                                  contact_due), kind, text, suggested)
        push = {"to": assignee.id, "kind": "new_case", "content": content, "title": title}
    case_id, _ = ledger.open_case(session, {
        "number": number, "village_id": village.id, "resident_id": resident.id, "text": text, "media": media,
        "words": sorted(words(text)), "category": verdict.category, "kind": kind, "confidence": verdict.confidence,
        "explanation": list(verdict.explanation), "suggested": suggested, "state": "assigned",
        "assignee_id": assignee.id if assignee else None, "hidden_complainant": about, "urgent": urgent,
        "escalation": "", "reporters": 1, "reopened": 0, "answer": "", "received_at": now, "updated_at": now,
        "contact_due_at": contact_due, "resolve_due_at": resolve_due}, (
        ledger.entry(None, "receive", "", "received", actor_kind=actor_kind, actor_id=actor_id, now=now,
                     note=text, data=data),
        ledger.entry(None, "assign", "received", "assigned", actor_kind="system", actor_id=None, now=now,
                     data=({"to": assignee.id} if assignee else {})
                     | ({"why": routed.reason} if routed.reason else {})),
    ), push)
    session.info.setdefault(OPENED, set()).add(case_id)
    ledger.exclusions(session, case_id, [c.id for c in people])
    track(session, case_id, media, now)
    return Opened(case_id, number, kind, verdict.category, village.id, resident.id, text, assignee, routed.reason,
                  urgent, now, contact_due, resolve_due)


_ASK_PHONE = (Resident.__table__.update()
              .where(Resident.__table__.c.id == bindparam("resident"), Resident.__table__.c.phone_asked.is_(False))
              .values(phone_asked=True).returning(Resident.__table__.c.id))


def ask_phone_once(session, resident: Resident) -> bool:
    """Whether to ask the resident for a phone with this receipt: once, and never when they left one."""
    if resident.phone or resident.phone_asked:
        return False
    asked = session.connection().execute(_ASK_PHONE, {"resident": resident.id}).first() is not None
    set_committed_value(resident, "phone_asked", True)  # as the row now is, with nothing left to flush
    return asked
