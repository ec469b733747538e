"""Webhook throughput: the full /wechat path against a bare Flask + wechatpy echo, same server.

    python bench/webhook.py [--database sqlite|postgresql] [--mode complaint|help] [--duration 15]

Both apps run under gunicorn with 2 sync workers (--preload, bot.gunicorn_conf); wrk drives each
at 16 and at 64 connections with a realistic text push (a fresh MsgId per request, residents
rotating). In ``complaint`` mode every message is a villager's complaint that becomes a case
(classification, routing, ledger and notification rows). Prints requests/s, p50, p99 and the
ratio to the echo.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy import create_engine, insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402
from bot.cases.training import read_rows, training_files  # noqa: E402
from bot.db import make_sessionmaker  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from models import Resident, Village  # noqa: E402
from tests import roster_fixture  # noqa: E402

TOKEN = "benchtoken"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")  # flushed by each run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database(kind: str, folder: Path, name: str = "bench_webhook") -> str:
    """A fresh database of ``kind`` with the schema, a roster and bound bench residents."""
    url = scratch_database(kind, name, folder)
    upgrade(url)
    engine = create_engine(url)
    with make_sessionmaker(engine).begin() as session:
        roster_fixture.build(session)
        villages = [v.id for v in session.query(Village).all()]
        session.execute(insert(Resident), [
            {"openid": f"o_bench_{i}", "village_id": villages[i % 2], "pending_text": "", "pending_choices": []}
            for i in range(USERS)])
    engine.dispose()
    return url


def texts_file(mode: str, folder: Path) -> Path:
    """One message per line: complaint titles from the shipped data set (short, like chat), or 帮助."""
    path = folder / "texts.txt"
    if mode == "help":
        path.write_text("帮助\n", encoding="utf-8")
        return path
    titles = [row.title.replace("]]>", "") for row in read_rows(training_files()[-1]) if row.title.strip()]
    path.write_text("\n".join(titles[:3000]) + "\n", encoding="utf-8")
    return path


def serve(app: str, env: dict) -> tuple[subprocess.Popen, int]:
    """Start gunicorn with 2 sync workers and wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:bot.gunicorn_conf", "-w", "2", "-k", "sync", "--preload",
         "--log-level", "warning", "-b", f"127.0.0.1:{port}", app], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def wrk(port: int, connections: int, duration: int, texts: Path) -> dict:
    """Run wrk and return requests/s, p50 and p99 (ms), and the count of non-2xx answers."""
    timestamp, nonce = str(int(time.time())), "benchnonce"
    from wechatpy.utils import WeChatSigner

    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    url = f"http://127.0.0.1:{port}/wechat?signature={signer.signature}&timestamp={timestamp}&nonce={nonce}"
    env = {**os.environ, "BENCH_TEXTS": str(texts), "BENCH_USERS": str(USERS),
           "BENCH_BASE_ID": str(int(time.time()) * 10_000_000)}  # < 2**53: exact in Lua
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
                          str(ROOT / "bench" / "wechat.lua"), url], capture_output=True, text=True, env=env).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
            "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
            "errors": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


USERS = 20000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--mode", choices=["complaint", "help"], default="complaint")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", default="16,64")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    texts = texts_file(args.mode, folder)
    env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": "wxbench0000000000", "WECHAT_APP_SECRET": "benchsecret",
           "DATABASE_URL": database(args.database, folder), "REDIS_URL": REDIS_URL,
           "BOT_INSTANCE": str(folder / "instance"), "WECHAT_AES_KEY": ""}
    redis.Redis.from_url(REDIS_URL).flushdb()
    results = {}
    for name, app in (("echo", "bench.echo_app:app"), ("bot", "bot:create_app()")):
        process, port = serve(app, env)
        try:
            for connections in map(int, args.connections.split(",")):
                results[name, connections] = wrk(port, connections, args.duration, texts)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    print(f"\n/wechat, {args.mode} messages, {args.database}, gunicorn 2 sync workers, {args.duration} s per run")
    print(f"{'conns':>5} {'app':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}  ratio")
    for connections in map(int, args.connections.split(",")):
        echo = results["echo", connections]
        for name in ("echo", "bot"):
            r = results[name, connections]
            ratio = r["rps"] / echo["rps"]
            print(f"{connections:>5} {name:>5} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['errors']:>8}  {ratio:.2f}"
                  + (f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""))


if __name__ == "__main__":
    main()
