"""The roster: townships, villages, their station teams and cadres, and bound residents."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

ROLES = ("member", "leader", "secretary", "supervisor", "admin")


class Township(Base):
    """A township (镇/街道) with its weekly station-day rule."""

    __tablename__ = "township"
    __table_args__ = (UniqueConstraint("county", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(String(64), default="")
    code: Mapped[str] = mapped_column(String(8), default="")  # prefix of case numbers, e.g. JH
    station_weekday: Mapped[int] = mapped_column(default=2)  # ISO weekday, 1 = Monday
    station_half: Mapped[str] = mapped_column(String(16), default="afternoon")  # morning | afternoon
    villages: Mapped[list["Village"]] = relationship(back_populates="township", order_by="Village.id")


class Team(Base):
    """A fixed station team (驻点团队): one leader, members, auxiliary members; 1-2 villages."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"))
    leader: Mapped["Cadre | None"] = relationship(foreign_keys=[leader_id])
    villages: Mapped[list["Village"]] = relationship(back_populates="team", order_by="Village.id")
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="Membership.id"
    )


class Village(Base):
    """A village or community (村/社区) with its station place and team."""

    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("township_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    township: Mapped[Township] = relationship(back_populates="villages")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    team: Mapped[Team | None] = relationship(back_populates="villages")
    place: Mapped[str] = mapped_column(String(128), default="村委会办公楼")
    remote: Mapped[bool] = mapped_column(default=False)  # station day every two weeks
    anchor: Mapped[date | None]  # a station day of a remote village; the fortnight counts from it
    # The permanent QR code (scene ``village_<id>``) once created, so cards reuse it.
    qr_ticket: Mapped[str] = mapped_column(String(128), default="")
    qr_url: Mapped[str] = mapped_column(String(255), default="")
    names: Mapped[list["VillageName"]] = relationship(back_populates="village", cascade="all, delete-orphan")


class VillageName(Base):
    """A normalised name or alias of a village (suffix 村/社区 dropped), for ``绑定 <村名>``."""

    __tablename__ = "village_name"
    __table_args__ = (UniqueConstraint("village_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    village: Mapped[Village] = relationship(back_populates="names")
    key: Mapped[str] = mapped_column(String(64), index=True)


class Cadre(Base):
    """A person on the roster; deactivated when they leave, never deleted (cases keep history)."""

    __tablename__ = "cadre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    position: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    wechat: Mapped[str] = mapped_column(String(64), default="")  # WeChat ID shown on the card
    wecom_userid: Mapped[str | None] = mapped_column(String(64))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)  # set when they bind
    role: Mapped[str] = mapped_column(String(16), default="member")
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))  # scope of a secretary
    township: Mapped[Township | None] = relationship()
    county: Mapped[str] = mapped_column(String(64), default="")  # scope of a supervisor
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class Membership(Base):
    """A cadre's place in a team: a member or an auxiliary member (村两委 and others)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("team_id", "cadre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    team: Mapped[Team] = relationship(back_populates="memberships")
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    cadre: Mapped[Cadre] = relationship()
    auxiliary: Mapped[bool] = mapped_column(default=False)


class Resident(Base):
    """A WeChat user who wrote to us; bound to a village once they say (or scan) which."""

    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"), index=True)
    village: Mapped[Village | None] = relationship()
    bound_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]  # opens WeChat's 48-hour customer-service window
    # Text written before binding, filed as soon as they bind (never lost); choices offered
    # when a village name was ambiguous.
    pending_text: Mapped[str] = mapped_column(default="")
    pending_choices: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Photos, voice and locations sent before binding, attached when the pending text is filed.
    pending_media: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # The question the bot just asked ({"asked": "village" | "verdict", "at": ISO time, ...}), so the
    # next message is read as its answer; short-lived (config ``reading.dialogue_minutes``).
    dialogue: Mapped[dict] = mapped_column(JSON, default=dict)


class InviteCode(Base):
    """A one-time code that binds a cadre's WeChat to their roster entry."""

    __tablename__ = "invite_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"))
    cadre: Mapped[Cadre] = relationship()
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def served_villages(session, cadre: Cadre) -> list[Village]:
    """The villages a cadre serves: those of teams they lead or belong to; a secretary's township otherwise."""
    teams = select(Membership.team_id).where(Membership.cadre_id == cadre.id)
    query = (select(Village).join(Team, Village.team_id == Team.id)
             .where(or_(Team.leader_id == cadre.id, Team.id.in_(teams))).order_by(Village.id))
    villages = list(session.scalars(query))
    if not villages and cadre.role == "secretary" and cadre.township_id:
        villages = list(session.scalars(select(Village).where(
            Village.township_id == cadre.township_id, Village.team_id.is_not(None)).order_by(Village.id)))
    return villages


class StationDayChange(Base):
    """A station day cancelled or moved by a leader (chat) or an admin (CLI); the latest per day wins."""

    __tablename__ = "station_day_change"
    __table_args__ = (Index("ix_station_day_change_village_day", "village_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    village: Mapped[Village] = relationship()
    day: Mapped[date]  # the rule's station day this change replaces
    moved_to: Mapped[date | None]  # None: cancelled
    half: Mapped[str] = mapped_column(String(16), default="")  # empty: the township's half-day
    place: Mapped[str] = mapped_column(String(128), default="")  # empty: the village's place
    reason: Mapped[str] = mapped_column(Text, default="")
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"))  # None: from the CLI
    at: Mapped[datetime] = mapped_column(default=utcnow)
