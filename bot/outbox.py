"""Writing notifications: the outbox rows that background jobs deliver.

Rows are added in the caller's transaction, so a push exists exactly when the change that
caused it committed; the unique (source, recipient) key keeps anyone from being told twice.
"""
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import Cadre, CaseEvent, Notification, Resident, utcnow

TITLE_LIMIT = 20  # a template field holds 20 characters on one line


def notify(session, source: str, recipient: Cadre | Resident, kind: str, content: str, *,
           case_id: int | None = None, title: str = "", urgent: bool = False) -> int | None:
    """Add one notification unless this source already notified this recipient; its id, or None."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    session.flush()  # recipient and source rows need their ids
    return session.scalar(insert(Notification).values(
        source=source, recipient_kind="cadre" if isinstance(recipient, Cadre) else "resident",
        recipient_id=recipient.id, kind=kind, case_id=case_id, title=" ".join(title.split())[:TITLE_LIMIT],
        content=content, urgent=urgent, state="pending", attempts=0, last_error="", channel="",
        created_at=utcnow(), next_attempt_at=utcnow(),
    ).on_conflict_do_nothing().returning(Notification.id))


def notify_event(session, entry: CaseEvent, recipient: Cadre | Resident, kind: str, content: str,
                 title: str = "") -> int | None:
    """Notify about one ledger entry (its id is the notification's source)."""
    session.flush()
    return notify(session, f"case_event:{entry.id}", recipient, kind, content, case_id=entry.case_id,
                  title=title, urgent=entry.case.urgent)
