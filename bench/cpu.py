"""CPU per message on the /wechat path, in one process: the bare echo, commands, a complaint.

    python bench/cpu.py [--database sqlite|postgresql] [--count 400]

Each app answers ``--count`` signed pushes through Flask's test client (no HTTP server, no load
generator) and the process's own CPU time is divided by the count, so the figures hold on a busy
machine too. A complaint becomes a case: classification, routing, ledger and outbox rows. Then
the commonest reads: 进度 by residents who have a case, 我的 and 详情 by the cadre with the most
cases (one cadre sends them all, so the bench lifts the chat's rate limit). The database
server's own CPU is not counted; the ratio to the echo is.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import REDIS_URL, TOKEN, database  # noqa: E402
from bot.cases.training import read_rows, training_files  # noqa: E402
from tests.wechat import push_xml, signed_query  # noqa: E402


def cpu_ms(client, texts: list[str], first_user: int | list[str]) -> float:
    """Process CPU milliseconds per push of ``texts``, each from another bound resident (or from ``senders``)."""
    senders = first_user if isinstance(first_user, list) else [f"o_bench_{first_user + i}" for i in range(len(texts))]
    started = time.process_time()
    for sender, text in zip(senders, texts):
        reply = client.post("/wechat", data=push_xml(sender, Content=text).encode(),
                            query_string=signed_query(TOKEN))
        assert reply.status_code == 200, reply.data
    return (time.process_time() - started) / len(texts) * 1000


def busiest_cadre(runtime) -> tuple[str, list[str]]:
    """The openid of the cadre assigned the most open cases, and those cases' numbers."""
    from sqlalchemy import func, select

    from models import Cadre, Case

    with runtime.Session() as session:
        cadre_id = session.scalar(select(Case.assignee_id).where(Case.assignee_id.is_not(None))
                                  .group_by(Case.assignee_id).order_by(func.count().desc()).limit(1))
        numbers = session.scalars(select(Case.number).where(Case.assignee_id == cadre_id).order_by(Case.id)).all()
        return session.get(Cadre, cadre_id).openid, list(numbers)


def own_name() -> str:
    """A database of this bench's own, named after its Redis: checkouts with their own Redis run side by side."""
    return "bench_cpu_" + "".join(c if c.isalnum() else "_" for c in REDIS_URL.rsplit(":", 1)[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--count", type=int, default=400)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    os.environ.update({"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": "wxbench0000000000", "WECHAT_APP_SECRET": "benchsecret",
                       "WECHAT_AES_KEY": "", "DATABASE_URL": database(args.database, folder, own_name()),
                       "REDIS_URL": REDIS_URL, "BOT_INSTANCE": str(folder / "instance")})
    redis.Redis.from_url(REDIS_URL).flushdb()
    from bench.echo_app import app as echo
    from bot import create_app

    titles = [row.title.replace("]]>", "") for row in read_rows(training_files()[-1]) if row.title.strip()]
    app = create_app()
    runtime = app.extensions["bot"]
    runtime.rate_limiter.per_minute = 0  # one cadre sends every cadre command below
    bot, echo_client, n = app.test_client(), echo.test_client(), args.count
    # Warm up both apps (compiled statements, jieba, pools) on residents the timed runs do not use.
    cpu_ms(echo_client, ["帮助"] * 50, 0)
    cpu_ms(bot, titles[:50], 0)
    cpu_ms(bot, ["帮助"] * 50, 50)
    cpu_ms(bot, ["进度"] * 50, 0)
    echoes = [cpu_ms(echo_client, titles[:n], 0)]
    figures = {"echo": 0.0, "command (帮助)": cpu_ms(bot, ["帮助"] * n, 100),
               "complaint": cpu_ms(bot, titles[100:100 + n], 100 + n)}
    echoes.append(cpu_ms(echo_client, titles[:n], 0))
    figures["进度 (resident)"] = cpu_ms(bot, ["进度"] * n, 100 + n)  # each has the case just filed
    cadre, numbers = busiest_cadre(runtime)
    cpu_ms(bot, ["我的", f"详情 {numbers[0]}"] * 25, [cadre] * 50)  # warm up the cadre's statements
    figures["我的 (cadre)"] = cpu_ms(bot, ["我的"] * n, [cadre] * n)
    figures["详情 (cadre)"] = cpu_ms(bot, [f"详情 {numbers[i % len(numbers)]}" for i in range(n)], [cadre] * n)
    echoes.append(cpu_ms(echo_client, titles[:n], 0))
    figures["echo"] = sorted(echoes)[1]  # the median of three runs spread over the bench: the machine's load varies
    print(f"\nCPU per message in this process, {args.database}, {n} messages each")
    for name, ms in figures.items():
        print(f"{name:<{15 - sum(ord(c) > 127 for c in name)}} {ms:6.2f} ms  {ms / figures['echo']:5.1f}x the echo")


if __name__ == "__main__":
    main()
