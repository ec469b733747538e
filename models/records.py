"""The station team's records besides cases: diaries, announcements, inspections, dashboard logins."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.roster import Cadre, Village


class DiaryEntry(Base):
    """A 民情日记 entry: what a cadre saw or did in a village on a station day, maybe about a case."""

    __tablename__ = "diary_entry"
    __table_args__ = (Index("ix_diary_entry_village_at", "village_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    cadre: Mapped[Cadre] = relationship()
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    village: Mapped[Village] = relationship()
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    station_day: Mapped[date]  # the station day it belongs to (China date)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """A 公告 a leader sent to every bound resident of a village (its pushes say how it went)."""

    __tablename__ = "announcement"
    __table_args__ = (Index("ix_announcement_village_at", "village_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    village: Mapped[Village] = relationship()
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"))
    cadre: Mapped[Cadre] = relationship()
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Inspection(Base):
    """A supervisor's station-day check of a village: was the team there (到岗) or not (缺岗)."""

    __tablename__ = "inspection"
    __table_args__ = (Index("ix_inspection_village_at", "village_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    village: Mapped[Village] = relationship()
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"))
    supervisor: Mapped[Cadre] = relationship()
    day: Mapped[date]
    present: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DashboardLogin(Base):
    """A cadre's dashboard password (a werkzeug hash, never the password)."""

    __tablename__ = "dashboard_login"

    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), primary_key=True)
    cadre: Mapped[Cadre] = relationship()
    password_hash: Mapped[str] = mapped_column(String(256))
    # Bumped on logout and password change: sessions signed with an older version are void.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
