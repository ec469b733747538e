"""The worker copies every photo, voice and video of a case out of WeChat into the media store.

Rows of ``media_file`` are written with the case (bot/media/attachments.py). Each relay run claims
the due ones (a lease, as for pushes: ``fetching`` with the attempt number as fence) and queues
them; the job downloads through WeChat's temporary-media API and stores the file. A failure is
retried with backoff while WeChat still keeps the file (3 days); after the last try the row is
``failed`` and the case's ledger says so, so an attachment is never lost silently.
"""
import logging
from datetime import datetime, timedelta

import redis
from rq import Queue
from sqlalchemy import and_, select, update

from bot.cases import case_life
from bot.delivery.errors import backoff
from bot.delivery.jobs import QUEUE
from bot.media.store import media_store
from bot.runtime import current_runtime
from models import Case, MediaFile, utcnow

log = logging.getLogger(__name__)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "audio/amr": "amr", "audio/mpeg": "mp3", "audio/x-speex": "speex", "video/mp4": "mp4"}


def _due(now: datetime):
    return and_(MediaFile.state.in_(("pending", "fetching")), MediaFile.next_attempt_at <= now)


def claim(session, now: datetime, cfg: dict) -> list[tuple[int, int]]:
    """Lease the due downloads; (id, attempt) pairs."""
    due = select(MediaFile.id).where(_due(now)).order_by(MediaFile.next_attempt_at, MediaFile.id).limit(cfg["batch_size"] * 10)
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(MediaFile).where(MediaFile.id.in_(due.scalar_subquery()), _due(now))
        .values(state="fetching", attempts=MediaFile.attempts + 1,
                next_attempt_at=now + timedelta(seconds=cfg["lease_seconds"]))
        .returning(MediaFile.id, MediaFile.attempts).execution_options(synchronize_session=False))
    return sorted((row.id, row.attempts) for row in claimed)


def relay_downloads(runtime, now: datetime | None = None) -> int:
    """Queue the due downloads; returns how many (0 when Redis is down: they wait for the next run)."""
    now = now or utcnow()
    cfg = runtime.config["media"]
    with runtime.Session.begin() as session:
        claims = claim(session, now, cfg)
    if not claims:
        return 0
    size = cfg["batch_size"]
    try:
        Queue(QUEUE, connection=runtime.redis).enqueue_many([
            Queue.prepare_data(download_job, args=(claims[i:i + size],), timeout=cfg["lease_seconds"], result_ttl=0)
            for i in range(0, len(claims), size)])
    except redis.RedisError as error:
        log.warning("media: Redis unavailable (%s); %d downloads wait", error.__class__.__name__, len(claims))
        with runtime.Session.begin() as session:  # given back without counting the attempt
            for file_id, attempt in claims:
                session.execute(update(MediaFile).where(MediaFile.id == file_id, MediaFile.attempts == attempt)
                                .values(state="pending", attempts=MediaFile.attempts - 1, next_attempt_at=now))
        return 0
    return len(claims)


def download_job(claims: list[tuple[int, int]]) -> None:
    """RQ job: fetch each claimed (media file id, attempt)."""
    runtime = current_runtime()
    for file_id, attempt in claims:
        fetch(runtime, file_id, attempt)


def fetch(runtime, file_id: int, attempt: int, now: datetime | None = None) -> str | None:
    """Download one claimed file into the store; returns its new state (None: the claim is not ours)."""
    now = now or utcnow()
    cfg = runtime.config["media"]
    with runtime.Session() as session:
        row = session.get(MediaFile, file_id)
        if row is None or row.state != "fetching" or row.attempts != attempt:
            return None
        number = session.scalar(select(Case.number).where(Case.id == row.case_id))
        media_id, kind, received_at = row.media_id, row.kind, row.received_at
    try:
        data, content_type = runtime.wechat_api.get_media(media_id)
        key = f"{number}/{file_id}-{kind}.{EXTENSIONS.get(content_type, 'bin')}"
        media_store(runtime).put(key, data, content_type)
    except Exception as error:  # WeChat, the network or the store: retried, and recorded at the end
        log.warning("media %s of case %s: download failed: %s", file_id, number, error)
        return _failed(runtime, file_id, attempt, f"{error.__class__.__name__}: {error}", received_at, now, cfg)
    return _record(runtime, file_id, attempt, dict(state="stored", key=key, content_type=content_type[:64],
                                                   size=len(data), stored_at=now, last_error=""))


def _record(runtime, file_id: int, attempt: int, values: dict, ledger=None) -> str | None:
    """Write the outcome if the claim is still ours; ``ledger(session)`` runs in the same transaction."""
    with runtime.Session.begin() as session:
        done = session.execute(update(MediaFile).where(
            MediaFile.id == file_id, MediaFile.state == "fetching", MediaFile.attempts == attempt,
        ).values(**values).execution_options(synchronize_session=False)).rowcount
        if done and ledger:
            ledger(session)
    return values["state"] if done else None


def _failed(runtime, file_id: int, attempt: int, error: str, received_at: datetime, now: datetime,
            cfg: dict) -> str | None:
    """Retry later while WeChat still keeps the file; else mark it failed with a ledger entry."""
    retry_at = now + backoff(attempt, cfg)
    if attempt < cfg["max_attempts"] and retry_at < received_at + timedelta(hours=cfg["lifetime_hours"]):
        return _record(runtime, file_id, attempt, dict(state="pending", next_attempt_at=retry_at, last_error=error[:2000]))

    def ledger(session) -> None:
        row = session.get(MediaFile, file_id)
        case_life.remark(session, row.case, "media_failed", actor_kind="system", actor_id=None, now=now,
                        note=error[:500], data={"media_file": file_id, "kind": row.kind, "attempts": attempt})

    log.error("media %s: given up after %d attempts: %s", file_id, attempt, error)
    return _record(runtime, file_id, attempt, dict(state="failed", last_error=error[:2000]), ledger)
