"""What the open API's ledger hook costs chat: CPU per complaint without and with webhook subscribers.

    python bench/api_events.py [--database sqlite|postgresql] [--count 300] [--subscribers 3]

Complaints go through /wechat (Flask's test client, one process, as bench/cpu.py does): first with
the hook's listeners removed (the baseline), then with the hook and no API client, then after a
client of the roster's county has subscribed ``--subscribers`` webhooks: each ledger entry then
also writes one outbox row per subscriber. Process CPU per complaint, ratios to the baseline.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import cpu_ms  # noqa: E402
from bench.webhook import DATA, TOKEN, database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    os.environ.update({"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": "wxbench0000000000", "WECHAT_APP_SECRET": "benchsecret",
                       "WECHAT_AES_KEY": "", "DATABASE_URL": database(args.database, folder),
                       "REDIS_URL": redis_url, "BOT_INSTANCE": str(folder / "instance")})
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from bot import create_app
    from bot.api import events
    from bot.api.keys import add_client, add_webhook
    from models import ApiClient, Notification

    with open(DATA / "complaint_titles.csv", encoding="utf-8") as f:
        titles = [row["title"].replace("]]>", "") for row in csv.DictReader(f) if row["title"].strip()]
    app, n = create_app(), args.count
    runtime, client = app.extensions["bot"], app.test_client()
    cpu_ms(client, titles[:50], 0)  # warm-up: compiled statements, jieba, pools
    hooks = [(Session, "after_flush", events._note_entries), (Session, "before_commit", events._emit)]
    for target, name, listener in hooks:
        event.remove(target, name, listener)
    baseline = cpu_ms(client, titles[100:100 + n], 100)
    for target, name, listener in hooks:
        event.listen(target, name, listener)
    without = cpu_ms(client, titles[100 + n:100 + 2 * n], 100 + n)
    with runtime.Session.begin() as session:
        add_client(session, "bench", "county:揭西县", True)
        session.flush()
        hotline = session.query(ApiClient).one()
        for i in range(args.subscribers):
            add_webhook(session, hotline, f"http://127.0.0.1:9/hook{i}")
    with_hooks = cpu_ms(client, titles[100 + 2 * n:100 + 3 * n], 100 + 2 * n)
    with runtime.Session() as session:
        rows = session.query(Notification).filter(Notification.recipient_kind == "webhook").count()
    print(f"\nCPU per complaint in this process, {args.database}, {n} complaints each")
    print(f"hook removed         {baseline:6.2f} ms")
    print(f"hook, no subscribers {without:6.2f} ms  {without / baseline:5.2f}x")
    print(f"{args.subscribers} subscribers        {with_hooks:6.2f} ms  {with_hooks / baseline:5.2f}x"
          f"  ({rows} webhook rows written, {rows / n:.1f} per complaint)")


if __name__ == "__main__":
    main()
