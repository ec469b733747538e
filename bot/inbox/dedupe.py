"""The Redis half of de-duplication: a fast ``SET NX`` claim per message, remembering the reply.

Redis is only the fast path. When it is down every call here degrades to "don't know" and the
database's unique key on ``InboundMessage.dedupe_key`` decides alone.

A message costs two Redis round trips: ``admit`` (claim it, count it for the rate limit, read the
roster version) before the transaction and ``settle`` (remember the reply, claim the relay kick)
after it, each one small script.
"""
import logging
import time
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)
PENDING = "\x00pending"
UNKNOWN = None  # what ``Admission.claimed`` is when Redis could not be asked

# KEYS: claim, rate counter, roster version. ARGV: pending marker, claim TTL, count? (1/0), counter TTL.
# A message seen before is not counted again (WeChat's retries are one message).
ADMIT = """
local claimed = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
local count = 0
if claimed and ARGV[3] == '1' then
  count = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return {claimed and 1 or 0, count, redis.call('GET', KEYS[3])}
"""
# KEYS: claim, relay kick. ARGV: reply, claim TTL, kick TTL. Returns 1 when this message claimed the kick.
SETTLE = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""


@dataclass(frozen=True)
class Admission:
    """What Redis said of a new message: ours or seen (None: unknown), its count this minute, the roster version."""

    claimed: bool | None
    count: int = 0
    roster_version: bytes | None | object = None


class Dedupe:
    """Claims message keys in Redis and remembers the reply given to each."""

    def __init__(self, client: redis.Redis, ttl: int, pause: float = 5.0) -> None:
        self.redis = client
        self.ttl = ttl
        self.pause = pause  # after a failure, skip Redis this long instead of waiting on it per request
        self._down_until = 0.0
        self._admit = client.register_script(ADMIT)
        self._settle = client.register_script(SETTLE)

    def _down(self, error: Exception) -> None:
        log.warning("dedupe: redis unavailable (%s); relying on the database", error.__class__.__name__)
        self._down_until = time.monotonic() + self.pause

    def available(self) -> bool:
        """False while pausing after a failure."""
        return time.monotonic() >= self._down_until

    def admit(self, key: str, counter: str | None, counter_ttl: int, version_key: str, unknown) -> Admission:
        """Claim ``key``, count it under ``counter`` (None: no limit) and read ``version_key``, in one round trip.

        When Redis is unavailable: ``Admission(None, 0, unknown)``.
        """
        if not self.available():
            return Admission(None, 0, unknown)
        try:
            claimed, count, version = self._admit(keys=[f"dedupe:{key}", counter or "", version_key],
                                                  args=[PENDING, self.ttl, "1" if counter else "0", counter_ttl])
        except redis.RedisError as exc:
            self._down(exc)
            return Admission(None, 0, unknown)
        return Admission(bool(claimed), int(count), version)

    def settle(self, key: str, reply: str | None, kick_key: str, kick_ttl: int) -> bool | None:
        """Remember the reply and claim the relay kick: True if this message should queue a relay run.

        None when Redis is unavailable (the database row holds the reply; the periodic relay sends).
        """
        if not self.available():
            return None
        try:
            return bool(self._settle(keys=[f"dedupe:{key}", kick_key], args=[reply or "", self.ttl, kick_ttl]))
        except redis.RedisError as exc:
            self._down(exc)
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

    def release(self, key: str) -> None:
        """Forget a claim whose processing failed, so WeChat's retry is processed afresh."""
        try:
            self.redis.delete(f"dedupe:{key}")
        except redis.RedisError:
            pass
