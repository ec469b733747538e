"""The ban list's operations, shared by the CLI and the inbox."""
from sqlalchemy import delete, select

from models import BannedUser


def is_banned(session, openid: str) -> bool:
    """Whether ``openid`` is on the ban list."""
    return session.scalar(select(BannedUser.id).where(BannedUser.openid == openid)) is not None


def ban(session, openid: str, reason: str = "") -> bool:
    """Put ``openid`` on the list; False if it already was."""
    if is_banned(session, openid):
        return False
    session.add(BannedUser(openid=openid, reason=reason))
    return True


def unban(session, openid: str) -> bool:
    """Take ``openid`` off the list; False if it was not on it."""
    return session.execute(delete(BannedUser).where(BannedUser.openid == openid)).rowcount > 0


def banned(session) -> list[BannedUser]:
    """Every ban, oldest first."""
    return list(session.scalars(select(BannedUser).order_by(BannedUser.banned_at, BannedUser.id)))
