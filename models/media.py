"""Attachments of a case kept for good: photos, voice and video the resident sent, copied from WeChat.

WeChat deletes temporary media after three days, so the worker downloads each into the media
store (bot/media/) and records here where it lies; a download that never succeeds says so.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.case import Case

# pending: to fetch (first try or a retry at next_attempt_at); fetching: leased to a worker;
# stored: in the media store under ``key``; failed: given up, with a ledger entry on the case.
STATES = ("pending", "fetching", "stored", "failed")


class MediaFile(Base):
    """One photo, voice message or video of a case, and how its download went."""

    __tablename__ = "media_file"
    __table_args__ = (UniqueConstraint("case_id", "media_id", name="uq_media_file_case_media"),
                      Index("ix_media_file_state_due", "state", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    case: Mapped[Case] = relationship()
    kind: Mapped[str] = mapped_column(String(16))  # photo | voice | video
    media_id: Mapped[str] = mapped_column(String(128))  # WeChat's temporary media id
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # the 3-day life counts from here
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    key: Mapped[str] = mapped_column(String(255), default="")  # where the store keeps it
    content_type: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    stored_at: Mapped[datetime | None]
