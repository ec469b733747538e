"""One-time codes that bind a cadre's WeChat account to their roster entry (``认证 <code>``)."""
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from models import Cadre, InviteCode

# No 0/O, 1/I/L: the code is read off a screen or a phone call and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
VALID_DAYS = 7


class InviteError(Exception):
    """A code was refused; ``reason`` is the name of the text to answer with."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def create_invite(session, phone: str, now: datetime, days: int = VALID_DAYS) -> InviteCode:
    """Add a fresh code for the active cadre with ``phone``; raise LookupError if there is none."""
    cadre = session.scalar(select(Cadre).where(Cadre.phone == phone, Cadre.active.is_(True)))
    if cadre is None:
        raise LookupError(f"no active cadre with phone {phone}")
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    invite = InviteCode(code=code, cadre=cadre, expires_at=now + timedelta(days=days), created_at=now)
    session.add(invite)
    session.flush()
    return invite


def redeem(session, code: str, openid: str, now: datetime) -> Cadre:
    """Bind ``openid`` to the code's cadre and use the code up; raise InviteError when refused."""
    invite = session.scalar(select(InviteCode).where(InviteCode.code == code.strip().upper()))
    if invite is None:
        raise InviteError("invite_wrong")
    if invite.used_at is not None:
        raise InviteError("invite_used")
    if invite.expires_at <= now:
        raise InviteError("invite_expired")
    if not invite.cadre.active:
        raise InviteError("invite_inactive")
    other = session.scalar(select(Cadre).where(Cadre.openid == openid, Cadre.id != invite.cadre_id))
    if other is not None and other.active:
        raise InviteError("invite_taken")
    if other is not None:
        other.openid = None  # a departed cadre's old binding must not block their successor's phone
        session.flush()
    invite.cadre.openid = openid
    invite.used_at = now
    return invite.cadre
