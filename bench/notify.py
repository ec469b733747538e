"""Push benchmark: N notifications through the outbox, the relay, the RQ queue and worker processes
to the fake WeChat API; prints the time, pushes per second and duplicates found in the fake's records.

Everything is scratch: a SQLite file (or a PostgreSQL database given with --database-url) and a
Redis of its own in a temporary directory. Quiet hours are switched off so the run does not
depend on the time of day. Run: python bench/notify.py [--count 10000] [--workers 4]
"""
import argparse
import collections
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rq import Worker  # noqa: E402

import models  # noqa: E402
from bot import create_app  # noqa: E402
from bot.cases.outbox import notify  # noqa: E402
from bot.delivery.relay import relay_once  # noqa: E402
from bot.redis_server import ensure_own_redis, stop_own_redis  # noqa: E402
from bot.settings import DEFAULT_CONFIG  # noqa: E402
from bot.wechat.fake import FakeWeChatServer  # noqa: E402
from models import Notification, Resident, Township, Village, utcnow  # noqa: E402

log = logging.getLogger("bench.notify")
SENDS = {"/cgi-bin/message/custom/send", "/cgi-bin/message/template/send", "/cgi-bin/message/send"}


def settings(scratch: Path, database_url: str, redis_url: str, fake_url: str) -> dict:
    """Environment for the app and its workers; config.yaml with the quiet hours switched off."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config["notifications"]["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    (scratch / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return {"WECHAT_TOKEN": "benchtoken", "WECHAT_APP_ID": "wxbench0000000001", "WECHAT_APP_SECRET": "benchsecret",
            "DATABASE_URL": database_url, "REDIS_URL": redis_url, "WECHAT_API_BASE_URL": fake_url,
            "BOT_INSTANCE": str(scratch), "BOT_CONFIG": str(scratch / "config.yaml")}


def write_outbox(runtime, count: int, residents: int) -> None:
    """Residents who wrote an hour ago, and ``count`` notifications spread over them (the outbox writer)."""
    with runtime.Session.begin() as session:
        village = Village(name="基准村", township=Township(name="基准镇", code="BM"))
        people = [Resident(openid=f"o-bench-{i}", village=village, last_message_at=utcnow() - timedelta(hours=1))
                  for i in range(residents)]
        session.add_all(people)
        for i in range(count):
            notify(session, f"bench:{i}", people[i % residents], "answer", f"基准通知 #{i}")


def duplicates(fake) -> tuple[int, int]:
    """(sends accepted by the fake, of which duplicates): each notification has unique text."""
    keys = []
    for record in fake.messages():
        if record["path"] in SENDS and record["errcode"] == 0:
            body = record["body"]
            keys.append(body["text"]["content"] if "text" in body else body["data"]["thing1"]["value"])
    return len(keys), sum(n - 1 for n in collections.Counter(keys).values())


def run(args, scratch: Path) -> None:
    """Set up, push, measure, report."""
    database_url = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    engine = create_engine(database_url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    redis_url = ensure_own_redis(scratch)
    with FakeWeChatServer() as fake:
        env = settings(scratch, database_url, redis_url, fake.url)
        app = create_app(env)
        runtime = app.extensions["bot"]
        started = time.perf_counter()
        write_outbox(runtime, args.count, args.residents)
        written = time.perf_counter()
        workers = [subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env={**os.environ, **env},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.workers)]
        try:
            while len(Worker.all(connection=runtime.redis)) < args.workers:
                time.sleep(0.05)
            ready = time.perf_counter()
            while relay_once(runtime):  # what the periodic relay does, without waiting a minute
                pass
            states, last_relay = {}, time.monotonic()
            while states.get("sent", 0) + states.get("given_up", 0) < args.count:
                time.sleep(0.1)
                if time.monotonic() - last_relay > 5:  # the scheduler's periodic relay, faster
                    relay_once(runtime)
                    last_relay = time.monotonic()
                with runtime.Session() as session:
                    states = dict(session.execute(select(Notification.state, func.count())
                                                  .group_by(Notification.state)).all())
            done = time.perf_counter()
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(30)
        accepted, dups = duplicates(fake)
    stop_own_redis(scratch)
    delivery = done - ready
    log.info("%s, %d workers, %d notifications to %d residents", engine.dialect.name, args.workers, args.count,
             args.residents)
    log.info("outbox writes: %.1f s; relay + queue + workers + fake API: %.1f s (workers started in %.1f s)",
             written - started, delivery, ready - written)
    log.info("total %.1f s; %.0f pushes/s through the queue; states %s", written - started + delivery,
             args.count / delivery, states)
    log.info("sends accepted by the fake: %d; duplicates found: %d", accepted, dups)


def main() -> None:
    """Parse the arguments and run in a scratch directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--residents", type=int, default=2000, help="past 5 each, pushes go as templates")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (dropped and recreated)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as scratch:
        run(args, Path(scratch))


if __name__ == "__main__":
    main()
