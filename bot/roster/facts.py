"""Roster facts cached in process, in one place: who a cadre is, who serves a village, the ban list, station days.

These facts change only when the roster does, so every message need not read them again. Each
``Runtime`` keeps one ``RosterFacts``; it is valid for one roster version (models/version.py,
bumped in the transaction of every change to a watched table, whoever makes it).

Freshness, per transaction (a session's first use of the facts):
- the inbox reads the version from Redis in the round trip it makes anyway (``observe``);
  other callers ask Redis once per session (``GET roster:version``);
- a key missing from Redis (expired, flushed) is read from the database and put back with
  ``SET NX`` and a short TTL, so a writer that could not tell Redis is seen within ``MIRROR_TTL``;
- with Redis down the database's version is read with every transaction: slower, never stale.
A writer of this runtime clears its cache and sets the new version in Redis right after its
commit (the CLI's sessions do the same through ``mirror``). A session that changed the roster
reads through to the database until it commits, so it sees its own changes.
"""
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.villages.station_day import CHINA, HORIZON_WEEKS, NoStationDay, StationDayInfo, day_plan, pick
from models import BannedUser, Cadre, Membership, Team, Township, Village, WebhookSubscriber
from models.version import CHANGED, COMMITTED, current

log = logging.getLogger(__name__)

VERSION_KEY = "roster:version"
MIRROR_TTL = 60  # seconds the Redis mirror lives: the longest a missed mirror update can go unseen
INFO_KEY = "roster_facts"  # key in Session.info (set by the sessionmaker): the runtime's facts or a mirror
SYNCED = "roster_facts_synced"  # key in Session.info: the version this session's facts were checked against
PAUSE = 5.0  # seconds without asking Redis after it failed
MAX_RESIDENTS = 200_000  # resident ids kept before starting afresh


@dataclass(frozen=True)
class CadreFact:
    """A cadre as the roster has them (only active cadres are cached as senders and team members)."""

    id: int
    name: str
    position: str
    phone: str
    role: str
    categories: tuple[str, ...]
    township_id: int | None
    county: str
    active: bool


@dataclass(frozen=True)
class MemberFact:
    """A member of a village's team: township staff or auxiliary, and whether the card lists them under the village."""

    cadre: CadreFact
    auxiliary: bool
    listed: bool


@dataclass(frozen=True)
class VillageFacts:
    """A village with its township, team, leader, members and station place."""

    id: int
    name: str
    township_id: int
    township_code: str
    township_name: str
    county: str
    team_id: int | None
    leader: CadreFact | None  # the team's leader when active
    members: tuple[MemberFact, ...]  # active members, township staff before auxiliary, roster order
    secretaries: tuple[CadreFact, ...]  # the township's active secretaries, by id
    place: str
    remote: bool
    station_weekday: int
    station_half: str

    def members_for(self, category: str) -> tuple[MemberFact, ...]:
        """The active members who handle ``category``, in routing order (check ``listed`` first)."""
        return tuple(m for m in self.members if category in m.cadre.categories)


class _State:
    """The facts of one roster version; replaced whole when the version changes (threads keep theirs)."""

    def __init__(self, version: int | None) -> None:
        self.version = version
        self.cadres: dict[str, CadreFact] | None = None  # openid and "wecom:<userid>" -> active cadre
        self.cadres_by_id: dict[int, CadreFact | None] = {}
        self.banned: frozenset[str] | None = None
        self.villages: dict[int, VillageFacts | None] = {}
        self.plans: dict[tuple, tuple] = {}  # (village id, China date, station_days rules) -> day_plan
        self.listening: bool | None = None  # any active webhook subscriber


CADRE_COLUMNS = (Cadre.id, Cadre.name, Cadre.position, Cadre.phone, Cadre.role, Cadre.categories,
                 Cadre.township_id, Cadre.county, Cadre.active)
ACTIVE = select(*CADRE_COLUMNS).where(Cadre.active.is_(True))
BY_ID = select(*CADRE_COLUMNS)
ANY_SUBSCRIBER = select(WebhookSubscriber.id).where(WebhookSubscriber.active.is_(True)).limit(1)


def cadre_fact(row) -> CadreFact | None:
    """A row of ``ACTIVE``/``BY_ID``'s columns as a fact (None stays None)."""
    if row is None:
        return None
    return CadreFact(row.id, row.name, row.position or "", row.phone or "", row.role, tuple(row.categories or ()),
                     row.township_id, row.county or "", bool(row.active))


class RosterFacts:
    """The roster facts of one process (one per Runtime), valid for one roster version."""

    def __init__(self, client: redis.Redis | None) -> None:
        self.redis = client
        self._state = _State(None)
        self._down_until = 0.0
        # openid -> resident id: outside the version, since a resident's row and id never change.
        self.resident_ids: dict[str, int] = {}

    # -- freshness -------------------------------------------------------------------------

    def observe(self, session, value) -> None:
        """Check the facts against ``value``, the Redis mirror's ``roster:version`` read by the caller.

        ``value`` is the raw reply (bytes), None when the key is missing, or ``UNKNOWN`` when Redis failed.
        """
        if value is UNKNOWN or value is None:
            version = current(session.connection())
            if value is None:
                self._mirror(version, only_if_missing=True)
        else:
            version = int(value)
        session.info[SYNCED] = version
        if version != self._state.version:
            self._state = _State(version)

    def sync(self, session) -> None:
        """Check the facts once per session: one Redis GET (the database's version when Redis is down)."""
        if SYNCED in session.info:
            return
        self.observe(session, self._get())

    def changed(self, version: int | None = None) -> None:
        """This process committed a roster change: drop the facts and tell the other processes."""
        self._state = _State(None)
        if version is not None:
            self._mirror(version)

    def _get(self):
        if self.redis is None or time.monotonic() < self._down_until:
            return UNKNOWN
        try:
            return self.redis.get(VERSION_KEY)
        except redis.RedisError as error:
            self._down(error)
            return UNKNOWN

    def _mirror(self, version: int, only_if_missing: bool = False) -> None:
        if self.redis is None or time.monotonic() < self._down_until:
            return
        try:
            self.redis.set(VERSION_KEY, version, ex=MIRROR_TTL, nx=only_if_missing)
        except redis.RedisError as error:
            self._down(error)

    def _down(self, error) -> None:
        log.warning("roster facts: redis unavailable (%s); reading the version from the database",
                    error.__class__.__name__)
        self._down_until = time.monotonic() + PAUSE

    def _fresh(self, session) -> _State | None:
        """The state to read from, or None when this transaction changed the roster (read through)."""
        if session.info.get(CHANGED):
            return None
        self.sync(session)
        return self._state

    def remember_resident(self, openid: str, resident_id: int) -> None:
        """Keep a resident's id (their binding is read by whoever needs it, always fresh)."""
        if len(self.resident_ids) >= MAX_RESIDENTS:
            self.resident_ids = {}
        self.resident_ids[openid] = resident_id

    # -- facts -------------------------------------------------------------------------------

    def cadre(self, session, openid: str) -> CadreFact | None:
        """The active cadre bound to ``openid`` (or ``wecom:<userid>``), or None."""
        state = self._fresh(session)
        if state is None:
            if openid.startswith(WECOM_PREFIX):
                where = Cadre.wecom_userid == openid.removeprefix(WECOM_PREFIX)
            else:
                where = Cadre.openid == openid
            return cadre_fact(session.execute(ACTIVE.where(where)).first())
        if state.cadres is None:  # every active cadre at once: a resident's first message then costs no query
            state.cadres = _identities(session)
        return state.cadres.get(openid)

    def cadre_by_id(self, session, cadre_id: int) -> CadreFact | None:
        """Any cadre (active or not) by id, or None."""
        state = self._fresh(session)
        if state is not None and cadre_id in state.cadres_by_id:
            return state.cadres_by_id[cadre_id]
        found = cadre_fact(session.execute(BY_ID.where(Cadre.id == cadre_id)).first())
        if state is not None:
            state.cadres_by_id[cadre_id] = found
        return found

    def is_banned(self, session, openid: str) -> bool:
        """Whether ``openid`` is on the ban list."""
        state = self._fresh(session)
        if state is None:
            return session.scalar(select(BannedUser.id).where(BannedUser.openid == openid)) is not None
        if state.banned is None:
            state.banned = frozenset(session.scalars(select(BannedUser.openid)))
        return openid in state.banned

    def listening(self, session) -> bool:
        """Whether any webhook subscriber is active (case events are published only then)."""
        state = self._fresh(session)
        if state is not None and state.listening is not None:
            return state.listening
        found = session.scalar(ANY_SUBSCRIBER) is not None
        if state is not None:
            state.listening = found
        return found

    def village(self, session, village_id: int) -> VillageFacts | None:
        """The village's facts (township, team, leader, members, secretaries, station rule), or None."""
        state = self._fresh(session)
        if state is not None and village_id in state.villages:
            return state.villages[village_id]
        found = _load_village(session, village_id)
        if state is not None:
            state.villages[village_id] = found
        return found

    def upcoming_station_days(self, session, village, after: datetime, station_days: dict,
                              count: int = 1) -> list[StationDayInfo]:
        """As ``station_day.upcoming_station_days``, computed once per village and China day."""
        state = self._fresh(session)
        day = after.astimezone(CHINA).date()
        if state is None or village.id is None:
            return pick(day_plan(village, day, station_days), after, count)
        key = (village.id, day, repr(station_days))
        plan = state.plans.get(key)
        if plan is None:
            plan = state.plans[key] = day_plan(village, day, station_days)
        return pick(plan, after, count)

    def next_station_day(self, session, village, after: datetime, station_days: dict) -> StationDayInfo:
        """As ``station_day.next_station_day``, cached the same way."""
        days = self.upcoming_station_days(session, village, after, station_days)
        if not days:
            raise NoStationDay(f"no station day for village {village.name} within {HORIZON_WEEKS} weeks")
        return days[0]


UNKNOWN = object()  # the Redis mirror could not be read
WECOM_PREFIX = "wecom:"


def _identities(session) -> dict[str, CadreFact]:
    found = {}
    for row in session.execute(select(*CADRE_COLUMNS, Cadre.openid, Cadre.wecom_userid).where(Cadre.active.is_(True))):
        cadre = cadre_fact(row)
        if row.wecom_userid:
            found[WECOM_PREFIX + row.wecom_userid] = cadre
        if row.openid:
            found[row.openid] = cadre
    return found


def _load_village(session, village_id: int) -> VillageFacts | None:
    row = session.execute(select(
        Village.id, Village.name, Village.township_id, Village.team_id, Village.place, Village.remote,
        Township.code, Township.name.label("township_name"), Township.county, Township.station_weekday,
        Township.station_half, Team.leader_id,
    ).join(Township, Township.id == Village.township_id).outerjoin(Team, Team.id == Village.team_id)
        .where(Village.id == village_id)).first()
    if row is None:
        return None
    leader, members = None, ()
    if row.team_id is not None:
        if row.leader_id is not None:
            leader = cadre_fact(session.execute(BY_ID.where(Cadre.id == row.leader_id, Cadre.active.is_(True))).first())
        members = tuple(
            MemberFact(cadre_fact(member), bool(member.auxiliary), village_id in (member.villages or ()))
            for member in session.execute(select(*CADRE_COLUMNS, Membership.auxiliary, Membership.villages)
                                          .join(Membership, Membership.cadre_id == Cadre.id)
                                          .where(Membership.team_id == row.team_id, Cadre.active.is_(True))
                                          .order_by(Membership.auxiliary, Membership.id)))
    secretaries = tuple(cadre_fact(r) for r in session.execute(ACTIVE.where(
        Cadre.role == "secretary", Cadre.township_id == row.township_id).order_by(Cadre.id)))
    return VillageFacts(row.id, row.name, row.township_id, row.code or "", row.township_name, row.county or "",
                        row.team_id, leader, members, secretaries, row.place, bool(row.remote),
                        row.station_weekday, row.station_half)


# -- invalidation after commit --------------------------------------------------------------


class Mirror:
    """For sessions outside a runtime (the CLI): after a roster change commits, set the Redis mirror."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def changed(self, version: int | None = None) -> None:
        try:
            self.redis.set(VERSION_KEY, version, ex=MIRROR_TTL)
        except redis.RedisError:
            pass  # the mirror's TTL bounds how long other processes miss it


def attach(sessionmaker, facts) -> None:
    """Make sessions of ``sessionmaker`` tell ``facts`` (a RosterFacts or Mirror) of roster changes they commit."""
    info = dict(sessionmaker.kw.get("info") or {})
    info[INFO_KEY] = facts
    sessionmaker.configure(info=info)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, _previous) -> None:
    session.info.pop(SYNCED, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    version = session.info.pop(COMMITTED, None)
    session.info.pop(SYNCED, None)  # the next transaction of this session checks again
    if version is not None and (facts := session.info.get(INFO_KEY)) is not None:
        facts.changed(version)
