"""Pushes to a cadre who cannot be reached yet (no WeChat binding, no WeCom id) wait for them.

The notifier parks such a row as ``waiting`` instead of giving it up; binding (``认证``) puts the
cadre's waiting rows back in the queue at once, and each relay run wakes those of any cadre who
became reachable another way (a roster import giving a WeCom id). A row that waited longer than
``notifications.unbound_wait_hours`` is given up (the relay sweeps them), so stale pushes about
long-closed cases never arrive weeks later.
"""
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from models import Cadre, Notification

WAITING = "waiting"


def _oldest(now: datetime, cfg: dict) -> datetime:
    return now - timedelta(hours=cfg["unbound_wait_hours"])


def release(session, cadre_id: int, now: datetime, cfg: dict) -> int:
    """Queue a newly reachable cadre's waiting pushes (those still young enough); returns how many."""
    expire(session, now, cfg)
    return session.execute(update(Notification).where(
        Notification.state == WAITING, Notification.recipient_kind == "cadre", Notification.recipient_id == cadre_id,
    ).values(state="pending", next_attempt_at=now, last_error="").execution_options(synchronize_session=False)).rowcount


def expire(session, now: datetime, cfg: dict) -> int:
    """Give up every waiting push older than the age limit; returns how many."""
    return session.execute(update(Notification).where(
        Notification.state == WAITING, Notification.created_at < _oldest(now, cfg),
    ).values(state="given_up", last_error=cfg["texts"]["gave_up_waited"])
        .execution_options(synchronize_session=False)).rowcount


def wake(session, now: datetime, wecom: bool) -> int:
    """Queue the waiting pushes of every cadre reachable by now (bound by any path: 认证, a roster import)."""
    reachable = Cadre.openid.is_not(None)
    if wecom:  # a WeCom id only helps when the WeCom app is configured
        reachable = or_(reachable, Cadre.wecom_userid.is_not(None))
    return session.execute(update(Notification).where(
        Notification.state == WAITING, Notification.recipient_kind == "cadre",
        Notification.recipient_id.in_(select(Cadre.id).where(reachable, Cadre.active.is_(True))),
    ).values(state="pending", next_attempt_at=now, last_error="").execution_options(synchronize_session=False)).rowcount


def too_old(row: Notification, now: datetime, cfg: dict) -> bool:
    """Whether a push has waited past the age limit."""
    return row.created_at < _oldest(now, cfg)
