"""Load and soak: gunicorn + an RQ worker on PostgreSQL and Redis, driven by wrk with a realistic mix.

    python bench/load.py [--rate 100] [--connections 8] [--seconds 60 | --minutes 10]

The default rate is about three times Guangdong's estimated peak on this one host (docs/deploy.md,
"Capacity estimate": 26,117 villages x 10 messages a day, peak factor 10 = 30 messages/s).

Residents complain and ask 进度; cadres ask 我的, 详情 N and 接单 N (bench/load.lua). wrk has no
fixed-rate mode, so each of a bounded number of connections waits ``connections / rate`` seconds
between requests and the achieved rate is reported. Prints requests/s, error rate, p50, p99 and
the RSS of every gunicorn and worker process at the start and the end.
"""
import argparse
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select  # noqa: E402

import models  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from bench.webhook import TOKEN, texts_file  # noqa: E402
from bot.settings import DEFAULT_CONFIG  # noqa: E402
from bot.wechat.fake import FakeWeChatServer  # noqa: E402
from models import InboundMessage, Resident  # noqa: E402
from tests import roster_fixture  # noqa: E402
from tests.faults import start_gunicorn, stop  # noqa: E402
from tests.pushes import OwnRedis, start_worker  # noqa: E402

RESIDENTS = 5000
SEED_CASES = 300
log = logging.getLogger("bench.load")


def database() -> str:
    """A fresh PostgreSQL database with the schema, the small roster and bound residents."""
    url = scratch_database("postgresql", "bench_load", Path(tempfile.gettempdir()))
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    with engine.begin() as connection:
        from sqlalchemy.orm import Session

        with Session(connection) as session:
            rows = roster_fixture.build(session)
            villages = [rows["village"].id, rows["village2"].id]
            session.commit()
        connection.execute(insert(Resident), [{"openid": f"o_load_{i}", "village_id": villages[i % 2],
                                               "pending_text": "", "pending_choices": []} for i in range(RESIDENTS)])
    engine.dispose()
    return url


def seed_cases(env: dict, texts: list[str]) -> str:
    """File SEED_CASES complaints through the inbox, so cadres have numbers to ask about; returns the prefix."""
    from bot import create_app
    from tests.dialog import Chat

    app = create_app(env)
    chat = Chat(app.extensions["bot"], datetime.now(timezone.utc))
    for i in range(SEED_CASES):
        chat.say(f"o_load_{RESIDENTS - 1 - i}", texts[i % len(texts)])
    app.extensions["bot"].engine.dispose()
    return f"JH-{datetime.now(timezone.utc).year}-"


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (gunicorn's workers), from /proc."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def processes(gunicorn: int, worker: int) -> dict[str, int]:
    """Name -> pid of every process to watch."""
    found = {"gunicorn master": gunicorn}
    found |= {f"gunicorn worker {i + 1}": pid for i, pid in enumerate(sorted(children(gunicorn)))}
    # `python -m bot worker` runs jobs in its own process (SimpleWorker).
    return found | {"rq worker": worker}


def signed_queries(seconds: int, folder: Path) -> tuple[Path, int]:
    """One signed query string per minute of the run, as WeChat signs each push with its own time.

    wrk cannot compute SHA-1, so load.lua picks the query of the current minute from this file;
    every request then stays within the app's timestamp tolerance however long the soak runs.
    """
    from wechatpy.utils import WeChatSigner

    start, lines = int(time.time()), []
    for minute in range(seconds // 60 + 2):
        timestamp, nonce = str(start + 60 * minute), f"loadnonce{minute}"
        signer = WeChatSigner()
        signer.add_data(TOKEN, timestamp, nonce)
        lines.append(f"signature={signer.signature}&timestamp={timestamp}&nonce={nonce}")
    path = folder / "queries.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, start


def run_wrk(port: int, args, env: dict, folder: Path) -> str:
    """Run wrk with bench/load.lua and return its report."""
    queries, start = signed_queries(args.seconds, folder)
    delay = max(int(args.connections * 1000 / args.rate), 0)
    return subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "5s", "--latency",
                           "-s", str(ROOT / "bench" / "load.lua"), f"http://127.0.0.1:{port}/wechat"],
                          capture_output=True, text=True,
                          env={**os.environ, **env, "LOAD_DELAY_MS": str(delay), "LOAD_QUERIES": str(queries),
                               "LOAD_START": str(start)}).stdout


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def report(out: str, seconds: int) -> dict:
    """Requests/s, error rate, p50 and p99 from wrk's output."""
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"requests": total, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "errors": errors, "error_rate": errors / max(total, 1),
            "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
            "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100, help="target requests per second")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--minutes", type=float, help="soak: overrides --seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()
    args.seconds = int(args.minutes * 60) if args.minutes else args.seconds
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    # A handful of bench cadres send far more than any real person: the limit would refuse them.
    config["abuse"]["rate_limit_per_minute"] = 0
    config["notifications"]["quiet_hours"] = {"start": "00:00", "end": "00:00"}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    redis_server, fake = OwnRedis(), FakeWeChatServer()
    redis_server.start()
    texts = texts_file("complaint", folder)
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": "wxbench0000000000", "WECHAT_APP_SECRET": "benchsecret",
           "WECHAT_AES_KEY": "", "DATABASE_URL": database(), "REDIS_URL": redis_server.url,
           "BOT_INSTANCE": str(folder / "instance"), "BOT_CONFIG": str(folder / "config.yaml"),
           "WECHAT_API_BASE_URL": fake.url}
    lines = texts.read_text(encoding="utf-8").splitlines()
    prefix = seed_cases(env, lines)
    lua = {"LOAD_RESIDENTS": str(RESIDENTS), "LOAD_CADRES": "o_huang,o_zhou,o_wu,o_chen,o_zheng,o_lin,o_zhao",
           "LOAD_CASES": str(SEED_CASES), "LOAD_PREFIX": prefix, "LOAD_TEXTS": str(texts),
           "LOAD_BASE_ID": str(int(time.time()) * 1000)}
    app, port = start_gunicorn(env, folder / "gunicorn.log", workers=args.workers, preload=True)
    worker = start_worker(env, folder / "worker.log", burst=False)
    try:
        time.sleep(3)  # the worker loads its app
        run_wrk(port, argparse.Namespace(**{**vars(args), "seconds": 5}), lua, folder)  # warm-up: caches, pools, jieba
        watched = processes(app.pid, worker.pid)
        before = {name: rss_mb(pid) for name, pid in watched.items()}
        out = run_wrk(port, args, lua, folder)
        after = {name: rss_mb(pid) for name, pid in watched.items()}
    finally:
        stop(app)
        stop(worker)
        fake.stop()
        redis_server.close()
    figures = report(out, args.seconds)
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        failed = connection.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.failed))
        stored = connection.scalar(select(func.count()).select_from(InboundMessage))
    engine.dispose()
    print(f"\n/wechat load: {args.seconds} s, target {args.rate} req/s over {args.connections} connections, "
          f"gunicorn {args.workers} sync workers + 1 RQ worker, PostgreSQL, Redis")
    print(f"achieved {figures['rps']:.1f} req/s ({figures['requests']} requests), errors {figures['errors']} "
          f"({figures['error_rate']:.3%}), p50 {figures['p50']:.2f} ms, p99 {figures['p99']:.2f} ms; "
          f"stored {stored} messages, {failed} failed in a handler")
    print(f"{'process':<18} {'RSS start MB':>12} {'RSS end MB':>11} {'growth':>8}")
    for name in watched:
        print(f"{name:<18} {before[name]:>12.1f} {after[name]:>11.1f} {(after[name] / before[name] - 1):>8.1%}")


if __name__ == "__main__":
    main()
