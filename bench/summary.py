"""Time the 周报 query and the township ranking on generated cases, with and without our indexes.

    python bench/summary.py --database postgresql --cases 10000000
    python bench/summary.py --database sqlite --cases 1000000

Cases go into a scratch database made for the run and dropped after it (PostgreSQL: a new
database next to ``BENCH_POSTGRES_URL``'s; SQLite: a file under bench/out/), by COPY on
PostgreSQL and multi-row inserts on SQLite. Each figure is the median of ``--repeat`` runs.
"""
import argparse
import logging
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import models  # noqa: E402
from bot.reports import summaries  # noqa: E402
from bot.reports.periods import month  # noqa: E402
from bot.reports.rates import tallies  # noqa: E402
from bot.reports.weekly import weekly_text  # noqa: E402
from models import Cadre, Resident, Team, Township, Village  # noqa: E402

log = logging.getLogger("bench.summary")
OUT = Path(__file__).resolve().parent / "out"
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
OURS = ("ix_case_village_received", "ix_case_open_village_received")
COLUMNS = ("number", "village_id", "resident_id", "text", "media", "words", "category", "confidence", "explanation",
           "state", "owner_id", "hidden_complainant", "urgent", "escalation", "reporters", "reopened", "answer",
           "received_at", "updated_at", "contact_due_at", "resolve_due_at", "accepted_at", "resolved_at",
           "confirmed_at")
CATEGORIES = ("交通运输", "农业生产", "城乡建设", "环境卫生", "社会保障", "土地纠纷", "治安", "村务公开")


def roster(session, counties: int, townships: int, villages: int) -> list[int]:
    """Counties of townships of villages, each village with its leader and one resident; returns village ids."""
    for c in range(counties):
        for t in range(townships):
            town = Township(name=f"镇{c}-{t}", county=f"县{c}", code=f"T{c}{t}")
            session.add(town)
            for v in range(villages):
                leader = Cadre(name=f"组长{c}-{t}-{v}", phone=f"1{c:02d}{t:03d}{v:05d}", role="leader")
                village = Village(name=f"村{v}", township=town, team=Team(leader=leader))
                session.add_all([leader, village, Resident(openid=f"r{c}-{t}-{v}", village=village)])
        session.add(Cadre(name=f"督查{c}", phone=f"2{c:010d}", role="supervisor", county=f"县{c}"))
    session.commit()
    return list(session.scalars(select(Village.id).order_by(Village.id)))


def case_rows(count: int, villages: list[int], owners: dict[int, int], seed: int = 6):
    """Generated cases over three years: old ones mostly closed, recent ones often open."""
    rng, span = random.Random(seed), 3 * 365 * 86400
    for i in range(count):
        village = rng.choice(villages)
        received = NOW - timedelta(seconds=rng.randrange(span))
        age = (NOW - received).days
        roll = rng.random()
        open_share = 0.5 if age < 14 else 0.04
        state = ("accepted" if roll < open_share else "confirmed" if roll < 0.6 else "resolved" if roll < 0.93
                 else "closed_unresolved")
        accepted = received + timedelta(hours=rng.choice((1, 3, 12, 30)))
        resolved = received + timedelta(days=rng.randint(1, 10)) if state in ("confirmed", "resolved") else None
        yield (f"B{i:010d}", village, village, "", "[]", "[]", rng.choice(CATEGORIES), 0.9, "[]", state,
               owners[village], False, False, "", 1, int(rng.random() < 0.05), "", received, received,
               received + timedelta(hours=24), received + timedelta(days=7), accepted, resolved,
               resolved + timedelta(days=1) if state == "confirmed" else None)


def load(engine, rows) -> None:
    """COPY on PostgreSQL; 10,000-row executemany batches on SQLite (as SQLAlchemy stores times)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f'COPY "case" ({", ".join(COLUMNS)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f'INSERT INTO "case" ({", ".join(COLUMNS)}) VALUES ({", ".join("?" * len(COLUMNS))})'
            stamp = lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
            batch = []
            for row in rows:
                batch.append(tuple(stamp(v) for v in row))
                if len(batch) == 10000:
                    cursor.executemany(sql, batch)
                    batch.clear()
            cursor.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()


def timed(work, repeat: int) -> float:
    """Median milliseconds of ``work()`` after one warm-up run."""
    work()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def measure(engine, config: dict, repeat: int) -> dict[str, float]:
    """The 周报 of one leader's village and the ranking of one county's townships."""
    with Session(engine) as session:
        village = session.get(Village, 1)
        county = session.get(Township, village.township_id).county
        towns = select(Township.id).where(Township.county == county)
        scope = select(Village.id).where(Village.township_id.in_(towns))
        period = month(NOW)

        def ranking():
            tallies(session, period.start, period.end, NOW, by="township", villages=scope)
            summaries.absences(session, period, villages=scope)

        return {"周报": timed(lambda: weekly_text(session, config, [village], NOW), repeat),
                "排名": timed(ranking, repeat)}


def scratch(database: str):
    """A fresh scratch database's URL and a function that drops it."""
    if database == "sqlite":
        OUT.mkdir(exist_ok=True)
        path = OUT / "summary.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    import os

    admin_url = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_summary_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yaml").read_text(encoding="utf-8"))
    url, drop = scratch(args.database)
    engine = create_engine(url)
    try:
        models.Base.metadata.create_all(engine)
        with engine.begin() as connection:  # load without our indexes, build them afterwards
            for name in OURS:
                connection.execute(text(f"DROP INDEX {name}"))
        with Session(engine) as session:
            villages = roster(session, counties=5, townships=20, villages=15)
            owners = dict(session.execute(select(Village.id, Team.leader_id).join(Team, Team.id == Village.team_id)).all())
        start = time.perf_counter()
        load(engine, case_rows(args.cases, villages, owners))
        log.info("%s: %d cases loaded in %.0f s", args.database, args.cases, time.perf_counter() - start)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        without = measure(engine, config, args.repeat)
        start = time.perf_counter()
        for index in models.Case.__table__.indexes:
            if index.name in OURS:
                index.create(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if args.database == "postgresql" else "ANALYZE"))
        log.info("our indexes built in %.0f s", time.perf_counter() - start)
        with_ours = measure(engine, config, args.repeat)
        log.info("%-10s %12s %12s   (%s, %d cases, median of %d)", "query", "indexed ms", "without ms",
                 args.database, args.cases, args.repeat)
        for name in with_ours:
            log.info("%-10s %12.1f %12.1f", name, with_ours[name], without[name])
    finally:
        engine.dispose()
        drop()


if __name__ == "__main__":
    main()
