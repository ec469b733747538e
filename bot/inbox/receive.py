"""Take one parsed message: de-duplicate it, store it, run its handler, all in one transaction.

The stored ``InboundMessage`` and every change its handler makes commit together, so a message
WeChat was answered for is never lost and a retry never acts twice.
"""
import logging
import time
from datetime import datetime

import redis
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from bot.delivery.relay import KICK_KEY, KICK_PAUSE, KICK_TTL, queue_relay
from bot.inbox.bounds import oversized
from bot.inbox.dedupe import Admission
from bot.inbox.long_reply import fit
from bot.inbox.ratelimit import COUNTER_TTL, refusal
from bot.roster.facts import UNKNOWN, VERSION_KEY
from handlers.identity import SEEN_BY_ID, SEEN_LATER, identify
from handlers.message import Message
from handlers.registry import Context
from models import InboundMessage, utcnow

log = logging.getLogger(__name__)


INBOUND = InboundMessage.__table__
# Core on the tables, built once. Parameter names are prefixed so none is taken for a column of the
# resident table, whose last message time the second statement sets in the same round trip.
STORE = insert(INBOUND).values(
    dedupe_key=bindparam("m_key"), openid=bindparam("m_sender"), kind=bindparam("m_kind"),
    content=bindparam("m_content"), sent_at=bindparam("m_sent_at"), received_at=bindparam("m_received_at"),
    reply=bindparam("m_reply"), failed=bindparam("m_failed"))  # every column given: no defaults to fill in
STORE_SEEN = STORE.add_cte(SEEN_BY_ID.cte("seen"))  # PostgreSQL: data-modifying WITH


def _store(session, message: Message, reply: str | None, failed: bool = False) -> None:
    """Insert the message's row with the reply it got (one cached Core INSERT, no unit of work).

    A resident identify knew already has their last message time set here, in the same statement.
    """
    values = {
        "m_key": message.dedupe_key,
        "m_sender": message.sender,
        "m_kind": message.event if message.kind == "event" else message.kind,
        "m_content": message.text or message.media_id or message.event_key,
        "m_sent_at": message.time,
        "m_received_at": utcnow(),
        "m_reply": reply,
        "m_failed": failed,
    }
    connection = session.connection()
    seen = session.info.pop(SEEN_LATER, None) if not failed else None
    if seen is None:
        connection.execute(STORE, values)
    elif connection.dialect.name == "postgresql":
        connection.execute(STORE_SEEN, {**values, **seen})
    else:  # SQLite runs in the process: two statements cost no round trip
        connection.execute(SEEN_BY_ID, seen)
        connection.execute(STORE, values)


def _stored_reply(runtime, key: str) -> str | None:
    with runtime.Session() as session:
        return session.scalar(select(InboundMessage.reply).where(InboundMessage.dedupe_key == key))


def receive(runtime, message: Message, now: datetime | None = None) -> str | None:
    """Process ``message`` exactly once and return its reply (None: answer ``success``)."""
    key = message.dedupe_key
    now = now or runtime.clock()
    # One round trip: claim the key, count the sender's minute, read the roster version.
    admission = runtime.dedupe.admit(key, runtime.rate_limiter.counter(message.sender, now), COUNTER_TTL,
                                     VERSION_KEY, UNKNOWN)
    if admission.claimed is False:
        return runtime.dedupe.reply(key) or _stored_reply(runtime, key)
    try:
        reply = _process(runtime, message, now, admission)
    except BaseException:
        runtime.dedupe.release(key)  # the database is down or broken: let WeChat's retry try again
        raise
    # One round trip: remember the reply and kick the relay, so pushes the handler wrote go out now
    # (if Redis is down they wait for the periodic relay).
    if runtime.dedupe.settle(key, reply, KICK_KEY, KICK_TTL):
        _queue_relay(runtime)
    return reply


def _queue_relay(runtime) -> None:
    try:
        queue_relay(runtime)
    except redis.RedisError as error:
        runtime.kick_down_until = time.monotonic() + KICK_PAUSE
        log.warning("relay kick skipped: Redis unavailable (%s); the periodic relay will send",
                    error.__class__.__name__)


def _process(runtime, message: Message, now: datetime, admission: Admission) -> str | None:
    try:
        with runtime.Session.begin() as session:
            runtime.facts.observe(session, admission.roster_version)
            # Banned, over the rate limit or too long: a short reply; the message is neither stored nor processed.
            if (refused := refusal(runtime, session, message.sender, admission.count)) is not None:
                return refused
            if (refused := oversized(message, runtime.config)) is not None:
                return refused
            sender = identify(session, message.sender, now, runtime.facts)
            context = Context(session, runtime.config, now, runtime=runtime)
            reply = fit(session, runtime.config, sender, message.dedupe_key,
                        runtime.registry.dispatch(message, sender, context))
            session.flush()  # the handler's rows go first: a failing one is the handler's failure
            # Stored last, with its reply: if a duplicate slipped past Redis, the unique key
            # refuses it here and the handler's work rolls back with it.
            _store(session, message, reply)
        return reply
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: fail fast so WeChat retries
    except IntegrityError:
        if _exists(runtime, message.dedupe_key):
            log.info("duplicate %s refused by the database", message.dedupe_key)
            return _stored_reply(runtime, message.dedupe_key)
        log.exception("handler failed for %s", message.dedupe_key)
    except Exception:
        log.exception("handler failed for %s", message.dedupe_key)
    # The handler failed: keep the message (marked failed) so nothing acknowledged is lost.
    reply = runtime.config["texts"]["failed"]
    with runtime.Session.begin() as session:
        _store(session, message, reply, failed=True)
    return reply


def _exists(runtime, key: str) -> bool:
    with runtime.Session() as session:
        return session.scalar(select(InboundMessage.id).where(InboundMessage.dedupe_key == key)) is not None
