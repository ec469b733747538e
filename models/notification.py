"""Notifications: one push to one person, written with the change that causes it (an outbox)."""
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

# sending: claimed by the relay, leased to a worker until next_attempt_at (see bot/delivery/relay.py).
# waiting: for a cadre who cannot be reached yet (bot/delivery/waiting.py).
STATES = ("pending", "sending", "sent", "failed", "given_up", "waiting")


class Notification(Base):
    """A channel-free message to a cadre or resident; its ``source`` + recipient is unique.

    ``source`` names what caused it (``case_event:17``, ``announcement:3``), so the same event
    never tells the same person twice.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("source", "recipient_kind", "recipient_id", name="uq_notification_once"),
        Index("ix_notification_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    recipient_kind: Mapped[str] = mapped_column(String(16))  # cadre | resident | webhook (a subscriber)
    recipient_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))  # new_case, escalated, answer, reopened, ...
    case_id: Mapped[int | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(64), default="")  # short line, fits a template field
    content: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16), default="")  # how it finally went out
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
