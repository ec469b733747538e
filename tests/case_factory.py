"""Cases written straight into the database with chosen times, for tests of figures and summaries."""
from datetime import datetime, timedelta
from functools import lru_cache

from werkzeug.security import generate_password_hash

from bot.timefmt import CHINA
from models import Case, CaseReporter, Escalation, Resident

_numbers = iter(range(1, 10**6))


def china(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A 2026 moment in China time."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA)


def make_case(session, village, resident: Resident, received: datetime, *, state: str = "assigned",
              category: str = "交通运输", owner=None, assignee=None, accepted: timedelta | None = None,
              resolved: timedelta | None = None, confirmed: bool = False, reopened: int = 0,
              co_reporters: tuple[Resident, ...] = (), escalation: str = "", escalated_by=None,
              reason: str = "") -> Case:
    """A case received at ``received`` with a 24-hour contact and 7-day resolve limit."""
    case = Case(number=f"JH-2026-{next(_numbers):05d}", village=village, resident=resident, text="测试案件",
                category=category, state=state, owner=owner, assignee=assignee, reopened=reopened,
                reporters=1 + len(co_reporters), escalation=escalation, received_at=received, updated_at=received,
                contact_due_at=received + timedelta(hours=24), resolve_due_at=received + timedelta(days=7),
                accepted_at=received + accepted if accepted is not None else None,
                resolved_at=received + resolved if resolved is not None else None,
                confirmed_at=received + resolved + timedelta(hours=1) if confirmed else None)
    session.add(case)
    session.add(CaseReporter(case=case, resident=resident, joined_at=received,
                             verdict="satisfied" if confirmed else ("unsatisfied" if reopened else "")))
    for other in co_reporters:
        session.add(CaseReporter(case=case, resident=other, joined_at=received + timedelta(hours=1)))
    if escalation:
        session.add(Escalation(case=case, level=escalation, reason=reason, by_id=escalated_by.id,
                               at=received + timedelta(days=1)))
    session.flush()
    return case


def known_week(session, r: dict, residents: dict) -> dict[str, Case]:
    """The hand-built week of 16-22 November 2026 (China time) whose figures tests know."""
    v, v2, ah, bo = r["village"], r["village2"], residents["ah"], residents["bo"]
    hour = timedelta(hours=1)
    cases = {
        # Just after the week starts (Monday 00:30): contacted in time, resolved, confirmed.
        "A": make_case(session, v, ah, china(11, 16, 0, 30), state="confirmed", owner=r["road"], accepted=2 * hour,
                       resolved=48 * hour, confirmed=True),
        # Contacted late (30 h), resolved, no verdict yet.
        "B": make_case(session, v, ah, china(11, 16), state="resolved", owner=r["road"], accepted=30 * hour,
                       resolved=96 * hour),
        # Reopened by an unsatisfied resident, past its resolve limit: due, unresolved, overdue.
        "C": make_case(session, v, ah, china(11, 17), state="reopened", owner=r["farm"], category="农业生产",
                       accepted=hour, resolved=72 * hour, reopened=1),
        # Reported by three villagers (counts once), reopened once, resolved again and confirmed.
        "D": make_case(session, v, bo, china(11, 18), state="confirmed", owner=r["farm"], category="农业生产",
                       accepted=hour, resolved=120 * hour, confirmed=True, reopened=1,
                       co_reporters=(ah, residents["cy"])),
        # Escalated to the township; its resolve limit (26 Nov) has not come yet.
        "E": make_case(session, v, bo, china(11, 19, 8), state="escalated_township", owner=r["leader"],
                       accepted=hour, escalation="township", escalated_by=r["leader"], reason="需镇里协调资金"),
        # Never accepted, contact limit passed: due for contact, not contacted, overdue.
        "F": make_case(session, v, bo, china(11, 21), assignee=r["road"]),
        # Accepted in time on Sunday evening, resolve limit ahead.
        "G": make_case(session, v, ah, china(11, 22, 20), state="accepted", owner=r["road"], accepted=hour),
        # The other village of the township: closed unresolved.
        "H": make_case(session, v2, residents["dong"], china(11, 16, 10), state="closed_unresolved",
                       owner=r["leader2"], accepted=hour),
        # Another township of the county: all good.
        "L": make_case(session, r["other_village"], residents["far"], china(11, 17), state="confirmed",
                       owner=r["other_leader"], accepted=hour, resolved=24 * hour, confirmed=True),
        # Outside the week on both sides.
        "before": make_case(session, v, ah, china(11, 15, 23, 30), state="assigned", assignee=r["road"]),
        "after": make_case(session, v, ah, china(11, 23, 0, 10), state="assigned", assignee=r["road"]),
    }
    return cases


def known_world(session) -> tuple[dict, dict, dict[str, Case]]:
    """The test roster, residents of three villages, and the known week of cases."""
    from tests import roster_fixture

    r = roster_fixture.build(session)
    residents = {name: roster_fixture.resident(session, f"o_{name}", r["village"]) for name in ("ah", "bo", "cy")}
    residents["dong"] = roster_fixture.resident(session, "o_dong", r["village2"])
    residents["far"] = roster_fixture.resident(session, "o_far", r["other_village"])
    return r, residents, known_week(session, r, residents)


def number_cases_from(runtime, last: int) -> None:
    """Make the bot number new cases of every township after ``last`` (clear of this factory's numbers)."""
    from models import CaseCounter, Township, utcnow

    with runtime.Session.begin() as session:
        for township in session.query(Township):
            session.merge(CaseCounter(township_id=township.id, year=utcnow().year, last=last))


DASHBOARD_PASSWORD = "station-contact-2026"


@lru_cache(maxsize=1)
def dashboard_password_hash() -> str:
    """One hash of DASHBOARD_PASSWORD for every test (hashing is slow on purpose)."""
    return generate_password_hash(DASHBOARD_PASSWORD)
