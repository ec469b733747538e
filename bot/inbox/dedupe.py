"""The Redis half of de-duplication: a fast ``SET NX`` claim per message, remembering the reply.

Redis is only the fast path. When it is down every call here degrades to "don't know" and the
database's unique key on ``InboundMessage.dedupe_key`` decides alone.
"""
import logging
import time

import redis

log = logging.getLogger(__name__)
PENDING = "\x00pending"


class Dedupe:
    """Claims message keys in Redis and remembers the reply given to each."""

    def __init__(self, client: redis.Redis, ttl: int, pause: float = 5.0) -> None:
        self.redis = client
        self.ttl = ttl
        self.pause = pause  # after a failure, skip Redis this long instead of waiting on it per request
        self._down_until = 0.0

    def claim(self, key: str) -> bool | None:
        """True: ours to process; False: seen before; None: Redis is unavailable."""
        if time.monotonic() < self._down_until:
            return None
        try:
            return bool(self.redis.set(f"dedupe:{key}", PENDING, nx=True, ex=self.ttl))
        except redis.RedisError as exc:
            log.warning("dedupe: redis unavailable (%s); relying on the database", exc.__class__.__name__)
            self._down_until = time.monotonic() + self.pause
            return None

    def reply(self, key: str) -> str | None:
        """The reply remembered for a seen key, or None while it is still being processed."""
        try:
            value = self.redis.get(f"dedupe:{key}")
        except redis.RedisError:
            return None
        if value is None or value == PENDING.encode():
            return None
        return value.decode()

    def remember(self, key: str, reply: str | None) -> None:
        """Store the reply for retries of the same message."""
        try:
            self.redis.set(f"dedupe:{key}", reply or "", ex=self.ttl)
        except redis.RedisError:
            pass  # the database row holds the reply too

    def release(self, key: str) -> None:
        """Forget a claim whose processing failed, so WeChat's retry is processed afresh."""
        try:
            self.redis.delete(f"dedupe:{key}")
        except redis.RedisError:
            pass
