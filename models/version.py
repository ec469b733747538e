"""The roster version: one counter, bumped in the same transaction as any change to the roster facts.

Processes cache roster facts (bot/roster/facts.py) and compare this counter to know when to drop
them. The bump is a session hook, so every writer (chat, dashboard, CLI, import, demo) bumps it
without knowing of caches, and a rolled-back change bumps nothing. Residents are not here: their
binding is read fresh with every message (handlers/identity.py).
"""
from sqlalchemy import BigInteger, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.abuse import BannedUser
from models.api import WebhookSubscriber
from models.base import Base
from models.roster import Cadre, Membership, StationDayChange, Team, Township, Village

CHANGED = "roster_changed"  # key in Session.info: this transaction changed a roster fact
COMMITTED = "roster_version"  # key in Session.info: the version this transaction's commit makes current
# The roster, and who listens to case events (asked before every ledger entry is published).
WATCHED = (Township, Team, Village, Cadre, Membership, StationDayChange, BannedUser, WebhookSubscriber)
WATCHED_TABLES = frozenset(model.__tablename__ for model in WATCHED)


class RosterVersion(Base):
    """A single row (id 1): the roster version."""

    __tablename__ = "roster_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


BUMP = update(RosterVersion).where(RosterVersion.id == 1).values(version=RosterVersion.version + 1) \
    .returning(RosterVersion.version)
READ = select(RosterVersion.version).where(RosterVersion.id == 1)


def current(connection) -> int:
    """The committed version (0 on a database that never changed its roster)."""
    return connection.scalar(READ) or 0


def bump(connection) -> int:
    """Raise the version by one inside the caller's transaction; return the new value."""
    version = connection.scalar(BUMP)
    if version is None:  # the first change on a database made without the migration's row
        connection.execute(insert(RosterVersion).values(id=1, version=1))
        version = 1
    return version


def _watched(objects, modified) -> bool:
    return any(isinstance(item, WATCHED) and modified(item) for item in objects)


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context) -> None:
    """A flush that inserted, changed or deleted a roster row marks the transaction."""
    if CHANGED in session.info:
        return
    always = lambda _item: True  # noqa: E731
    changed = lambda item: session.is_modified(item, include_collections=False)  # noqa: E731
    if (_watched(session.new, always) or _watched(session.deleted, always)
            or _watched(session.dirty, changed)):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    """Bulk INSERT/UPDATE/DELETE statements on roster tables (the importer, ``unban``) mark it too."""
    if (state.is_insert or state.is_update or state.is_delete) and CHANGED not in state.session.info:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[CHANGED] = True


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    """Bump the version last thing before the commit, so its row lock is held for no time."""
    if CHANGED not in session.info and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # pending roster objects are noted now, not after this hook
    if session.info.pop(CHANGED, None):
        session.info[COMMITTED] = bump(session.connection())


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, _previous) -> None:
    session.info.pop(CHANGED, None)
    session.info.pop(COMMITTED, None)
