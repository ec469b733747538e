"""The roster as filing reads it: the runtime's cached facts (bot/roster/facts.py), else the database.

Routing and the accused-cadre check read who serves a village on every complaint; these facts
change only with the roster, so they come from the process's cache, valid for one roster version.
A session without a runtime (the CLI, a test's own session) reads the database each time.
"""
import weakref

from sqlalchemy import or_, select

from bot.roster.facts import ACTIVE, INFO_KEY, SYNCED, CadreFact, RosterFacts, VillageFacts, cadre_fact
from models import Cadre, Membership, Team, Village
from models.version import CHANGED

_DERIVED_LIMIT = 4096  # entries kept before a cache starts afresh (a roster change does too)
# Caches of the runtime whose facts they go with: a test's next runtime (another database) never
# sees the last one's.
_caches: "weakref.WeakKeyDictionary[RosterFacts, dict]" = weakref.WeakKeyDictionary()


def facts_of(session) -> RosterFacts:
    """The runtime's facts for this session, or facts that read through (no runtime)."""
    facts = session.info.get(INFO_KEY)
    return facts if isinstance(facts, RosterFacts) else RosterFacts(None)


def village(session, village_id: int) -> VillageFacts:
    """The village's township, team, leader, members and secretaries."""
    return facts_of(session).village(session, village_id)


def runtime_cache(session, name: str) -> dict | None:
    """A dict kept with the runtime's facts for ``name`` (None without a runtime): for values that never change."""
    facts = session.info.get(INFO_KEY)
    if not isinstance(facts, RosterFacts):
        return None
    caches = _caches.setdefault(facts, {})
    cache = caches.setdefault(name, {})
    if len(cache) >= _DERIVED_LIMIT:
        cache.clear()
    return cache


def derived(session, name: str, arg, load):
    """``load()``, a value derived from the roster alone, kept for the current roster version."""
    facts = session.info.get(INFO_KEY)
    if not isinstance(facts, RosterFacts) or session.info.get(CHANGED):
        return load()  # no runtime, or this transaction changed the roster: read through
    facts.sync(session)
    key = (session.info.get(SYNCED), arg)
    cache = runtime_cache(session, name)
    if key not in cache:
        cache[key] = load()
    return cache[key]


def township_cadres(session, township_id: int) -> tuple[CadreFact, ...]:
    """Active cadres of a township: its own staff, and the leaders and members of its villages' teams."""
    def load():
        teams = select(Village.team_id).where(Village.township_id == township_id)
        members = select(Membership.cadre_id).where(Membership.team_id.in_(teams))
        leaders = select(Team.leader_id).where(Team.id.in_(teams))
        return tuple(cadre_fact(row) for row in session.execute(ACTIVE.where(
            or_(Cadre.id.in_(members), Cadre.id.in_(leaders), Cadre.township_id == township_id)).order_by(Cadre.id)))

    return derived(session, "township_cadres", township_id, load)


def by_phone(session, phone: str) -> CadreFact | None:
    """The active cadre with this phone (a configured contact), or None."""
    def load():
        return cadre_fact(session.execute(ACTIVE.where(Cadre.phone == phone)).first())

    return derived(session, "by_phone", phone, load)
