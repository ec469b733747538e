"""Client systems of the open API (Open311): their keys, the cases they filed, their webhooks."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.case import Case

# Openids of the stand-in residents through whom client systems file cases (bot/api/hotline.py):
# nobody on WeChat, so the outbox never pushes to them; their answers go out by webhook.
STAND_IN_PREFIX = "api:"


class ApiClient(Base):
    """A county system (12345 hotline, government-affairs platform) that holds one API key."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the key; the key is never stored
    county: Mapped[str] = mapped_column(String(64))  # scope: sees texts of, and files cases in, this county
    can_write: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiRequest(Base):
    """A case a client filed by POST: its Open311 token and the caller the hotline took it from."""

    __tablename__ = "api_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"), index=True)
    client: Mapped[ApiClient] = relationship()
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    case: Mapped[Case] = relationship()
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    caller_phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookSubscriber(Base):
    """A URL of a client that receives every event of its county's cases, signed with ``secret``."""

    __tablename__ = "webhook_subscriber"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id"), index=True)
    client: Mapped[ApiClient] = relationship()
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(64))  # HMAC key: kept in clear, since signing needs it
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def hotline_callers(session, case_id: int) -> list[ApiRequest]:
    """The calls a client system filed or joined to the case, first first."""
    return list(session.scalars(select(ApiRequest).where(ApiRequest.case_id == case_id).order_by(ApiRequest.id)))
