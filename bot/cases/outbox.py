"""Writing notifications: the outbox rows that background jobs deliver.

Rows are added in the caller's transaction, so a push exists exactly when the change that
caused it committed; the unique (source, recipient) key keeps anyone from being told twice.
"""
from sqlalchemy import bindparam, text

from models import Cadre, CaseEvent, Resident, utcnow
from models.api import STAND_IN_PREFIX
from models.base import UTCDateTime

TITLE_LIMIT = 20  # a template field holds 20 characters on one line

# Every push goes through this statement. Written as text it is compiled once: SQLAlchemy never
# caches its PostgreSQL and SQLite ON CONFLICT inserts (~0.5 ms to build and compile each time).
# The same SQL runs on both (SQLite >= 3.35 for RETURNING).
_ADD = text(
    "INSERT INTO notification (source, recipient_kind, recipient_id, kind, case_id, title, content, urgent,"
    " state, attempts, last_error, channel, created_at, next_attempt_at)"
    " VALUES (:source, :recipient_kind, :recipient_id, :kind, :case_id, :title, :content, :urgent,"
    " 'pending', 0, '', '', :now, :now)"
    " ON CONFLICT (source, recipient_kind, recipient_id) DO NOTHING RETURNING id"
).bindparams(bindparam("now", type_=UTCDateTime()))


def notify(session, source: str, recipient: Cadre | Resident, kind: str, content: str, *,
           case_id: int | None = None, title: str = "", urgent: bool = False) -> int | None:
    """Add one notification unless this source already notified this recipient; its id, or None."""
    if isinstance(recipient, Resident) and (recipient.openid.startswith(STAND_IN_PREFIX) or not recipient.reachable):
        return None  # a client system's stand-in hears by webhook (bot/api/events.py); a 代录 reporter in person
    session.flush()  # recipient and source rows need their ids
    return add(session, source, "cadre" if isinstance(recipient, Cadre) else "resident", recipient.id, kind,
               content, case_id=case_id, title=title, urgent=urgent)


def add(session, source: str, recipient_kind: str, recipient_id: int, kind: str, content: str, *,
        case_id: int | None = None, title: str = "", urgent: bool = False) -> int | None:
    """Insert one outbox row for any kind of recipient (cadre, resident, webhook) unless it exists."""
    return session.connection().execute(_ADD, {
        "source": source, "recipient_kind": recipient_kind, "recipient_id": recipient_id, "kind": kind,
        "case_id": case_id, "title": title_line(title), "content": content, "urgent": urgent,
        "now": utcnow()}).scalar()


def title_line(title: str) -> str:
    """A push's title as a template field shows it: one line, ``TITLE_LIMIT`` characters."""
    return " ".join(title.split())[:TITLE_LIMIT]


def notify_event(session, entry: CaseEvent, recipient: Cadre | Resident, kind: str, content: str,
                 title: str = "") -> int | None:
    """Notify about one ledger entry (its id is the notification's source)."""
    session.flush()
    return notify(session, f"case_event:{entry.id}", recipient, kind, content, case_id=entry.case_id,
                  title=title, urgent=entry.case.urgent)
