"""Time a Guangdong-scale roster import on SQLite and PostgreSQL, then a second import that changes nothing.

    python bench/roster.py [--townships 1585] [--villages 26117] [--format yaml|xlsx] [--postgres URL]

PostgreSQL gets a scratch database (``roster_bench``) created and dropped on the server of
``--postgres``; the tests' tables are never touched. Goal: every import under 60 seconds.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402  (after the path fix above)
from bot.db import make_engine, make_sessionmaker  # noqa: E402
from bot.roster import write_roster  # noqa: E402
from bot.roster.generate import generate  # noqa: E402
from bot.roster.importer import import_roster  # noqa: E402
from bot.settings import read_config  # noqa: E402

GOAL_SECONDS = 60
SCRATCH = "roster_bench"
CATEGORIES = read_config().get("categories") or {}  # the configured ones, as the CLI passes them


def timed(label: str, action):
    """Run ``action``, print how long it took, return its result."""
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"  {label:<28} {seconds:6.1f} s  {'ok' if seconds < GOAL_SECONDS else 'OVER GOAL'}", flush=True)
    return result, seconds


def run(name: str, url: str, path: Path) -> bool:
    """Import twice into an empty database at ``url``; the second import must change nothing."""
    print(f"{name}:")
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    Session = make_sessionmaker(engine)
    first, t1 = timed("first import", lambda: import_roster(Session, path, CATEGORIES))
    second, t2 = timed("second import (same file)", lambda: import_roster(Session, path, CATEGORIES))
    changed = sum((+second).values())
    print(f"  created: {first['villages created']} villages, {first['cadres created']} cadres, "
          f"{first['teams created']} teams, {first['memberships created']} memberships; second import changed {changed} rows")
    engine.dispose()
    return t1 < GOAL_SECONDS and t2 < GOAL_SECONDS and changed == 0


def scratch_postgres(server_url: str):
    """Create the scratch database on the server; return its URL and a function that drops it."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH}"))
        connection.execute(text(f"CREATE DATABASE {SCRATCH}"))
    url = make_url(server_url).set(database=SCRATCH).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)"))
        admin.dispose()

    return url, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--townships", type=int, default=1585)
    parser.add_argument("--villages", type=int, default=26117)
    parser.add_argument("--format", choices=["yaml", "xlsx"], default="yaml")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roster.{args.format}"
        roster = generate(args.townships, args.villages)
        print(f"roster: {len(roster.townships)} townships, {len(roster.villages)} villages, "
              f"{len({p.phone for p in roster.people})} cadres")
        timed(f"write {args.format}", lambda: write_roster(roster, path))
        print(f"  file size {path.stat().st_size / 1e6:.1f} MB")
        ok = run("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", path)
        url, drop = scratch_postgres(args.postgres)
        try:
            ok = run("PostgreSQL", url, path) and ok
        finally:
            drop()
    print("all under the goal" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
