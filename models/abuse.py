"""The ban list: openids whose messages get a short reply and are never processed."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class BannedUser(Base):
    """One banned openid, with why and when (managed by ``python -m bot ban``)."""

    __tablename__ = "banned_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    banned_at: Mapped[datetime] = mapped_column(default=utcnow)
