"""Login throttling: an exponential delay per phone and per client address, never a hard lock.

Each failed login counts against the phone and the address. Past a free allowance every further
attempt must wait ``base * 2**(failures - free)`` seconds (capped) after the last failure; after
that wait the right password still logs in, so a guesser slows the real user down but never
locks them out. Counts live in Redis (shared by every worker); while Redis is down each process
keeps its own, so the limit still holds ("closed") and logins still work ("usable").
"""
import logging
import threading
import time

import redis

log = logging.getLogger(__name__)

KEY = "dashboard:login:{kind}:{value}"
TTL = 3600  # a quiet hour forgets the failures
RULES = {"phone": {"free": 5, "base": 2.0, "cap": 300.0},  # one person's account
         "addr": {"free": 20, "base": 2.0, "cap": 300.0}}  # an office may share one address


def now() -> float:
    """The clock (tests move it)."""
    return time.time()


def delay(kind: str, failures: int) -> float:
    """Seconds to wait after the last failure, given the count so far."""
    rule = RULES[kind]
    if failures < rule["free"]:
        return 0.0
    return min(rule["cap"], rule["base"] * 2 ** (failures - rule["free"]))


class Throttle:
    """Failure counts per phone and per address, in Redis or (while it is down) in this process."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self.local: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def _read(self, key: str) -> tuple[int, float]:
        try:
            failures, last = self.redis.hmget(key, "failures", "last")
            return int(failures or 0), float(last or 0)
        except redis.RedisError as error:
            log.warning("login throttle: redis unavailable (%s); counting in this process", error.__class__.__name__)
            with self.lock:
                return self.local.get(key, (0, 0.0))

    def wait(self, phone: str, addr: str) -> int:
        """Whole seconds this attempt must still wait (0: check the password)."""
        moment, longest = now(), 0.0
        for kind, value in (("phone", phone), ("addr", addr)):
            failures, last = self._read(KEY.format(kind=kind, value=value))
            longest = max(longest, last + delay(kind, failures) - moment)
        return int(longest + 0.999) if longest > 0 else 0

    def failed(self, phone: str, addr: str) -> None:
        """Count a failed login against the phone and the address."""
        moment = now()
        for kind, value in (("phone", phone), ("addr", addr)):
            key = KEY.format(kind=kind, value=value)
            try:
                with self.redis.pipeline() as pipe:
                    pipe.hincrby(key, "failures", 1).hset(key, "last", moment).expire(key, TTL).execute()
            except redis.RedisError:
                with self.lock:
                    failures, _ = self.local.get(key, (0, 0.0))
                    self.local[key] = (failures + 1, moment)

    def succeeded(self, phone: str) -> None:
        """Forget the phone's failures (the address keeps its count: one account must not clear it)."""
        key = KEY.format(kind="phone", value=phone)
        self.local.pop(key, None)
        try:
            self.redis.delete(key)
        except redis.RedisError:
            pass
