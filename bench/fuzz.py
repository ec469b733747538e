"""Fuzz the webhook and the chat commands with hypothesis for a large budget (CI runs a small one).

    python bench/fuzz.py [--examples 35000] [--database sqlite|postgresql]

Three targets, each ``--examples`` inputs: any query string + hostile body, signed hostile bodies,
and random text to every command as every role. Fails on the first 5xx or handler exception;
prints the number of inputs and the time taken.
"""
import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

import models  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from bot import create_app  # noqa: E402
from tests import wechat  # noqa: E402
from tests.dialog import Chat  # noqa: E402
from tests.fuzz_inputs import ROLES, command, failed_messages, post_raw, prepare, push, query  # noqa: E402
from tests.pushes import OwnRedis  # noqa: E402
from tests.roster_fixture import NOW  # noqa: E402

log = logging.getLogger("bench.fuzz")


def database(kind: str, folder: Path) -> str:
    """A fresh database with the schema."""
    url = scratch_database(kind, "bench_fuzz", folder)
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    return url


def run(examples: int, kind: str) -> dict:
    """Run the three targets; returns inputs per target."""
    folder = Path(tempfile.mkdtemp(prefix="bench-fuzz-"))
    own_redis = OwnRedis()  # never the machine's Redis: other runs use its databases
    own_redis.start()
    app = create_app({"WECHAT_TOKEN": wechat.TOKEN, "WECHAT_APP_ID": wechat.APP_ID, "WECHAT_APP_SECRET": wechat.APP_SECRET,
                      "WECHAT_AES_KEY": wechat.AES_KEY, "DATABASE_URL": database(kind, folder),
                      # compatible: signed plaintext bodies reach the parser (safe mode refuses them at once)
                      "WECHAT_SECURITY_MODE": "compatible",
                      "REDIS_URL": own_redis.url, "BOT_INSTANCE": str(folder / "instance")})
    runtime, client = app.extensions["bot"], app.test_client()
    prepare(runtime)
    logging.getLogger().setLevel(logging.CRITICAL)  # handler errors are asserted on, not printed 10^5 times
    budget = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    counts = {"any query": 0, "signed": 0, "commands": 0}

    @budget
    @given(body=push(), args=query())
    def any_query(body, args):
        counts["any query"] += 1
        assert post_raw(client, body, args).status_code < 500, (body, args)

    @budget
    @given(body=push())
    def signed(body):
        counts["signed"] += 1
        assert post_raw(client, body, wechat.signed_query()).status_code < 500, body

    @budget
    @given(role=st.sampled_from(sorted(ROLES)), line=command())
    def commands(role, line):
        counts["commands"] += 1
        Chat(runtime, NOW).say(ROLES[role], line.replace("\x00", ""))

    for target in (any_query, signed, commands):
        started = time.monotonic()
        target()
        name = target.__name__.replace("_", " ")
        print(f"{name:>10}: {counts[name]:>7} inputs in "
              f"{time.monotonic() - started:6.1f} s", flush=True)
    failed = failed_messages(runtime)
    own_redis.close()
    assert not failed, f"handlers raised on: {failed[:5]}"
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=35000, help="inputs per target (3 targets)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    started = time.monotonic()
    counts = run(args.examples, args.database)
    print(f"total: {sum(counts.values())} inputs, {time.monotonic() - started:.0f} s, {args.database}; "
          "no 5xx, no handler exception")


if __name__ == "__main__":
    main()
