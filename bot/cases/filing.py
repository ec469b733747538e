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
from bot.cases.case_life import assign, co_report, supplement
from bot.cases.classifier import UNSORTED, tokens
from bot.cases.routing import is_township_level, route_why
from bot.media.attachments import track
from bot.timefmt import working_days_after
from models import Cadre, Case, CaseCounter, CaseReporter, Resident, Village
from models.roster import OFFLINE
from models.case import ENDED


@dataclass(frozen=True)
class Filed:
    """What happened to a resident's message: which case, and how it got there."""

    case: Case
    how: str  # new | supplement | co_report


def due_times(config: dict, category: str, now: datetime) -> tuple[datetime, datetime, bool]:
    """Contact and resolve due times for a category, and whether it is urgent."""
    limits = config["time_limits"]
    urgent = bool((config["categories"].get(category) or {}).get("urgent"))
    # The category's own limits first (治安, 卫生计生 are shorter), then the urgent ones, then the default.
    rule = (limits.get("categories") or {}).get(category) or limits["urgent" if urgent else "default"]
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


def overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller token set found in the other (0 when either is empty)."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


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
    """An open case in the same village and category whose text is near-identical."""
    rule = config["cases"]["co_report"]
    candidates = session.execute(select(Case.id, Case.words).where(
        Case.village_id == village_id, Case.category == category,
        Case.open, Case.received_at >= now - timedelta(days=rule["days"]),
    ).order_by(Case.id.desc()).limit(50))
    mine = words(text)
    for case_id, their_words in candidates:
        other = set(their_words)
        if len(mine & other) >= 2 and overlap(mine, other) >= rule["overlap"]:
            return session.get(Case, case_id)
    return None


def file_text(session, resident: Resident, text: str, config: dict, classifier, now: datetime,
              media: list[dict] | None = None) -> Filed:
    """File a bound resident's text as a supplement, a co-report or a new case."""
    window = timedelta(minutes=config["cases"]["intake_window_minutes"])
    own = recent_own_case(session, resident, window, now)
    if own is not None:
        supplement(session, own, resident, text, media or [], now)
        return Filed(own, "supplement")
    verdict = classifier.classify(text)
    twin = find_co_report(session, resident.village_id, verdict.category, text, config, now)
    if twin is not None and twin.resident_id != resident.id:
        co_report(session, twin, resident, text, now)
        if media:  # a co-reporter's photo or voice belongs to the case too
            supplement(session, twin, resident, "", media, now)
        return Filed(twin, "co_report")
    return Filed(open_case(session, resident, text, verdict, config, now, media or []), "new")


def file_for(session, cadre: Cadre, village: Village, name: str, phone: str, text: str, config: dict, classifier,
             now: datetime) -> Case:
    """A cadre files a case for a villager met in person (代录): a reporter without WeChat, routed as any other."""
    resident = Resident(openid=f"{OFFLINE}{uuid.uuid4().hex}", village=village, bound_at=now, name=name,
                        phone=phone, phone_asked=True)
    session.add(resident)
    return open_case(session, resident, text, classifier.classify(text), config, now, [], by=cadre)


def open_case(session, resident: Resident, text: str, verdict, config: dict, now: datetime,
              media: list[dict], by: Cadre | None = None) -> Case:
    """Create, route and announce a new case, with its first ledger entries."""
    village = resident.village
    routed = route_why(session, village, verdict.category, config)  # before the case exists: one INSERT, no UPDATE
    contact_due, resolve_due, urgent = due_times(config, verdict.category, now)
    case = Case(number=next_number(session, village, now), state="received", village=village, resident=resident, text=text,
                media=media, words=sorted(words(text)), category=verdict.category, confidence=verdict.confidence,
                explanation=list(verdict.explanation), urgent=urgent,
                suggested=list(verdict.suggestions) if verdict.category == UNSORTED else [],
                hidden_complainant=is_township_level(config["categories"], verdict.category),
                received_at=now, updated_at=now, contact_due_at=contact_due, resolve_due_at=resolve_due)
    session.add(case)
    session.add(CaseReporter(case=case, resident=resident, text=text, joined_at=now))
    track(session, case, media, now)
    if resident.id is None:  # a 代录 reporter is new: its id goes into the first ledger entry
        session.flush()
    case_life.receive(session, case, resident_id=resident.id, now=now, by=by)
    assign(session, case, routed.cadre, config, now, actor=None, why=routed.reason)
    return case
