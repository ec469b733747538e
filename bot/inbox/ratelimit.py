"""Abuse control before a message is processed: the ban list, then a per-openid rate limit.

The limit is a Redis counter per openid and minute (INCR + EXPIRE; for chat messages counted in
the inbox's one round trip, bot/inbox/dedupe.py). Redis is not the source of truth here either:
when it is down every message is let through rather than refused.
"""
import logging
import time
from datetime import datetime

import redis

log = logging.getLogger(__name__)
COUNTER_TTL = 120  # a minute's counter outlives its minute a little, for clocks that differ
PAUSE = 5.0  # seconds without asking Redis after it failed, so a dead Redis costs nothing per message


class RateLimiter:
    """Counts each openid's messages per clock minute in Redis."""

    def __init__(self, client: redis.Redis, per_minute: int) -> None:
        self.redis = client
        self.per_minute = per_minute
        self._down_until = 0.0

    def counter(self, openid: str, now: datetime) -> str | None:
        """The Redis key counting ``openid``'s messages this minute (None: no limit)."""
        return f"ratelimit:{openid}:{int(now.timestamp()) // 60}" if self.per_minute > 0 else None

    def allow(self, openid: str, now: datetime) -> bool:
        """Count one message; False once the openid is over its limit for this minute."""
        if self.per_minute <= 0 or time.monotonic() < self._down_until:
            return True
        key = self.counter(openid, now)
        try:
            pipe = self.redis.pipeline(transaction=False)  # one round trip for both commands
            pipe.incr(key)
            pipe.expire(key, COUNTER_TTL)
            count, _ = pipe.execute()
        except redis.RedisError as error:
            log.warning("rate limit: redis unavailable (%s); not limiting", error.__class__.__name__)
            self._down_until = time.monotonic() + PAUSE
            return True
        return count <= self.per_minute


def refusal(runtime, session, openid: str, count: int) -> str | None:
    """The short reply for a banned or too busy sender (``count``: their messages this minute), or None."""
    texts = runtime.config["texts"]
    if runtime.facts.is_banned(session, openid):
        return texts["banned"]
    if 0 < runtime.rate_limiter.per_minute < count:
        log.info("rate limited %s", openid)
        return texts["rate_limited"]
    return None
