"""The outbox relay: claim due notification rows and put them on the RQ queue for the workers.

A claim sets ``state='sending'``, bumps ``attempts`` (the fence the worker must show when it
records the result) and leases the row until ``next_attempt_at``. Claims are one atomic UPDATE
(on PostgreSQL over ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite serialises writers), so two
relays never hand out the same row. A row whose worker died is claimed again once its lease
expires; a worker that reaches a row late in its lease renews it first (same fence).

The one window that cannot be closed: WeChat has no idempotency key, so if a worker dies after
WeChat accepted a message but before its ``sent`` commit (milliseconds after the answer), the
row is sent again after the lease. Everything else is at most once.
"""
import logging
import time
from datetime import datetime, timedelta

import redis
from rq import Queue
from sqlalchemy import and_, case, or_, select, update

from bot.delivery.jobs import QUEUE
from bot.delivery.pauses import in_quiet_hours
from bot.delivery.waiting import expire as expire_waiting
from bot.delivery.waiting import wake
from bot.runtime import current_runtime
from models import Notification

log = logging.getLogger(__name__)

KICK_KEY = "bot:notify:relay_kicked"
KICK_TTL = 30  # a kick whose relay never ran (queue backlog) is repeated after this
KICK_PAUSE = 5.0  # seconds without kicks after Redis failed


def _due(now: datetime, quiet: bool):
    """Rows to claim: pending, failed and due to retry, or leased by a worker that vanished."""
    due = and_(Notification.state.in_(("pending", "failed", "sending")), Notification.next_attempt_at <= now)
    # Quiet hours spare people, not machines: webhooks go at any hour.
    return and_(due, or_(Notification.urgent.is_(True), Notification.recipient_kind == "webhook")) if quiet else due


def claim(session, now: datetime, cfg: dict) -> list[tuple[int, int]]:
    """Claim up to ``relay_limit`` due rows for a lease; returns (id, attempt) pairs."""
    condition = _due(now, in_quiet_hours(now, cfg))
    due = (select(Notification.id).where(condition)
           .order_by(Notification.urgent.desc(), Notification.next_attempt_at, Notification.id)
           .limit(cfg["relay_limit"]))
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)  # a concurrent relay takes other rows, not waits
    lease = now + timedelta(seconds=cfg["lease_seconds"])
    claimed = session.execute(
        update(Notification).where(Notification.id.in_(due.scalar_subquery()), condition)
        .values(state="sending", attempts=Notification.attempts + 1, next_attempt_at=lease)
        .returning(Notification.id, Notification.attempts)
        .execution_options(synchronize_session=False))
    return sorted((row.id, row.attempts) for row in claimed)


def release(session, claims: list[tuple[int, int]], now: datetime) -> None:
    """Give claims back (their jobs could not be queued) without counting them as attempts."""
    for notification_id, attempt in claims:
        session.execute(update(Notification).where(
            Notification.id == notification_id, Notification.state == "sending", Notification.attempts == attempt,
        ).values(state=case((Notification.attempts > 1, "failed"), else_="pending"),
                 attempts=Notification.attempts - 1, next_attempt_at=now)
            .execution_options(synchronize_session=False))


def _enqueue(runtime, claims: list[tuple[int, int]], cfg: dict) -> None:
    """Queue delivery jobs of ``batch_size`` rows each, in one round trip."""
    from bot.delivery.notifier import deliver_job

    size = cfg["batch_size"]
    queue = Queue(QUEUE, connection=runtime.redis)
    timeout = cfg["lease_seconds"]  # a job still running at the lease's end has lost its rows anyway
    jobs = [Queue.prepare_data(deliver_job, args=(claims[i:i + size],), timeout=timeout, result_ttl=0)
            for i in range(0, len(claims), size)]
    queue.enqueue_many(jobs)


def relay_once(runtime, now: datetime | None = None) -> int:
    """Move due rows onto the queue; returns how many (0 when Redis is down: they wait)."""
    now = now or runtime.clock()
    cfg = runtime.config["notifications"]
    with runtime.Session.begin() as session:
        expire_waiting(session, now, cfg)
        wake(session, now, wecom=bool(runtime.settings.wecom_corp_id and runtime.settings.wecom_secret))
        claims = claim(session, now, cfg)
    if not claims:
        return 0
    try:
        _enqueue(runtime, claims, cfg)
    except redis.RedisError as error:
        log.warning("relay: Redis unavailable (%s); %d notifications wait for the next run",
                    error.__class__.__name__, len(claims))
        with runtime.Session.begin() as session:
            release(session, claims, now)
        return 0
    log.info("relay: queued %d notifications", len(claims))
    return len(claims)


def relay_job(now: datetime | None = None) -> int:
    """RQ job: one relay run (the kick's and the scheduler's)."""
    runtime = current_runtime()
    try:
        runtime.redis.delete(KICK_KEY)  # before the claim: a kick from now on queues another run
    except redis.RedisError:
        pass  # the claim below fails to queue too and says so
    from bot.media.download import relay_downloads

    relay_downloads(runtime, now)  # residents' photos and voice, copied out of WeChat
    return relay_once(runtime, now)


def queue_relay(runtime) -> None:
    """Queue a relay run (the caller holds the kick, ``KICK_KEY``); raises RedisError."""
    Queue(QUEUE, connection=runtime.redis).enqueue(relay_job, result_ttl=0)


def kick(runtime) -> None:
    """Ask for a relay run soon (after a commit that wrote rows); never fails: rows just wait."""
    if time.monotonic() < runtime.kick_down_until:
        return  # Redis failed moments ago: don't spend the webhook's seconds on it per message
    try:
        if runtime.redis.set(KICK_KEY, "1", nx=True, ex=KICK_TTL):
            queue_relay(runtime)
    except redis.RedisError as error:
        runtime.kick_down_until = time.monotonic() + KICK_PAUSE
        log.warning("relay kick skipped: Redis unavailable (%s); the periodic relay will send",
                    error.__class__.__name__)
