"""Writing notifications: the outbox rows that background jobs deliver.

Rows are added in the caller's transaction, so a push exists exactly when the change that
caused it committed; the unique (source, recipient) key keeps anyone from being told twice.
"""
from sqlalchemy import select

from models import Cadre, CaseEvent, Notification, Resident

TITLE_LIMIT = 20  # a template field holds 20 characters on one line


def notify(session, source: str, recipient: Cadre | Resident, kind: str, content: str, *,
           case_id: int | None = None, title: str = "", urgent: bool = False) -> Notification | None:
    """Add one notification unless this source already notified this recipient."""
    recipient_kind = "cadre" if isinstance(recipient, Cadre) else "resident"
    session.flush()  # recipient and source rows need their ids
    exists = session.scalar(select(Notification.id).where(
        Notification.source == source, Notification.recipient_kind == recipient_kind,
        Notification.recipient_id == recipient.id))
    if exists:
        return None
    row = Notification(source=source, recipient_kind=recipient_kind, recipient_id=recipient.id, kind=kind,
                       case_id=case_id, title=" ".join(title.split())[:TITLE_LIMIT], content=content,
                       urgent=urgent)
    session.add(row)
    return row


def notify_event(session, entry: CaseEvent, recipient: Cadre | Resident, kind: str, content: str,
                 title: str = "") -> Notification | None:
    """Notify about one ledger entry (its id is the notification's source)."""
    session.flush()
    return notify(session, f"case_event:{entry.id}", recipient, kind, content, case_id=entry.case_id,
                  title=title, urgent=entry.case.urgent)
