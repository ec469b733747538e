"""Database cost per message on the /wechat path: SQL statements, round trips, Redis commands, WAL bytes.

    python bench/dbcost.py [--database postgresql|sqlite] [--count 20] [--postgres URL] [--wal-compression lz4]

Each round is five signed pushes through Flask's test client (as bench/cpu.py): a complaint that
opens a case, a supplement (the same resident again within the intake window), 进度 and 帮助 by that
resident, and 接单 by the cadre the case was assigned to. Per message it counts
- SQL statements (SQLAlchemy's ``before_cursor_execute``) and transactions (the engines' ``begin``);
- round trips to PostgreSQL as the client sends them: every protocol message the client then waits
  on (a simple Query, or an extended-protocol Sync), read from libpq's trace, so the implicit BEGIN,
  the COMMIT and the pool's ping are in; "tx" is how many of them were BEGIN/COMMIT/ROLLBACK;
- Redis commands as the server counts them (INFO commandstats delta: the bench's Redis must be its
  own) and Redis round trips (packed sends: a pipeline is one);
- on PostgreSQL the WAL the message wrote (``pg_current_wal_insert_lsn()`` before and after), split
  with pg_walinspect into records and full-page images (FPI).

WAL is counted per cluster, so by default the bench starts a private PostgreSQL (initdb on a free
port, autovacuum off, removed afterwards); ``--postgres URL`` measures on a server you name (its
other traffic then counts too). The first ("cold") round runs each message right after a CHECKPOINT:
its FPIs are the pages the message touches, what it costs when all of them are cold (a large
database), and with the relay's kick flag cleared, so its kick queues a relay run (Redis when the
relay is idle). The other ``--count`` rounds are the steady state at peak: the flag is set (a run
is queued already), and only pages first touched since the CHECKPOINT bring FPIs.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import redis
import yaml
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import Pool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.scratch  # noqa: E402
from bench.webhook import REDIS_URL, TOKEN, database, free_port  # noqa: E402
from bot.cases.training import read_rows, training_files  # noqa: E402
from bot.delivery.relay import KICK_KEY  # noqa: E402  (set while a relay run is queued)
from models import Cadre, Case, Resident  # noqa: E402
from tests.wechat import push_xml, reply_text, signed_query  # noqa: E402

KINDS = ("complaint", "supplement", "进度", "帮助", "接单")
SUPPLEMENT = "就在小卖部旁边"  # short: a fragment of the complaint, never a complaint of its own
WARM_ROUNDS = 3
FPI_BLOCK = re.compile(r"rel \d+/\d+/(\d+) fork \w+ blk \d+ \(?FPW")  # pg_walinspect's block_ref


class Wire:
    """Round trips in libpq trace text, fed in chunks: each frontend Query or Sync is one wait for the server.

    ``tx`` counts the BEGIN/COMMIT/ROLLBACK among them; ``prepares`` the Syncs after a lone named Parse:
    psycopg prepares a statement once it has run it ``prepare_threshold`` (5) times on a connection,
    one extra round trip, once.
    """

    def __init__(self) -> None:
        self.partial = ""
        self.since_sync: list[str] = []

    def feed(self, chunk: str) -> Counter:
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()  # an unfinished line waits for the next chunk
        counts = Counter()
        for line in lines:
            fields = line.split("\t")
            if len(fields) < 3 or fields[0] != "F":
                continue
            message = fields[2]
            if message == "Query":
                counts["round trips"] += 1
                if fields[3].strip().strip('"').upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
                    counts["tx"] += 1
            elif message == "Sync":
                counts["round trips"] += 1
                if self.since_sync == ["Parse"]:
                    counts["prepares"] += 1
                self.since_sync = []
            else:
                self.since_sync.append(message)
        return counts


class TraceReader:
    """One connection's libpq trace file, read from where the last read stopped."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("w")  # libpq writes here for as long as the connection lives
        self.file = path.open(encoding="utf-8", errors="replace")
        self.wire = Wire()

    def read(self) -> Counter:
        return self.wire.feed(self.file.read())


def command_calls(stats: dict) -> Counter:
    """Calls per Redis command from INFO commandstats, without the bench's own INFO."""
    return Counter({name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()
                    if name != "cmdstat_info"})


class Meter:
    """Counters the listeners add to between ``start()`` and ``stop()``, which returns them."""

    def __init__(self, folder: Path, redis_url: str) -> None:
        self.on = False
        self.folder = folder
        self.traces: list[TraceReader] = []
        self.redis = redis.Redis.from_url(redis_url)
        self.counts = Counter()
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "begin", self._begin)
        event.listen(Pool, "connect", self._trace)
        real_send = redis.connection.AbstractConnection.send_packed_command

        def send(connection, command, check_health=True):
            if self.on:
                self.counts["redis round trips"] += 1
            return real_send(connection, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = send

    def _statement(self, *_args) -> None:
        if self.on:
            self.counts["statements"] += 1

    def _begin(self, _connection) -> None:
        if self.on:
            self.counts["transactions"] += 1

    def _trace(self, dbapi_connection, _record) -> None:
        pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3; SQLite has no wire
        if pgconn is None:
            return
        from psycopg import pq

        reader = TraceReader(self.folder / f"trace-{len(self.traces)}.txt")
        pgconn.trace(reader.handle.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        self.traces.append(reader)

    def start(self) -> None:
        for reader in self.traces:
            reader.read()  # what came before this message is not its cost
        self.redis_before = command_calls(self.redis.info("commandstats"))
        self.counts.clear()
        self.on = True

    def stop(self) -> Counter:
        self.on = False
        for reader in self.traces:
            self.counts.update(reader.read())
        commands = command_calls(self.redis.info("commandstats")) - self.redis_before
        self.counts["redis commands"] = sum(commands.values())
        result, self.counts = self.counts, Counter()
        result["redis by command"] = commands
        return result


class Wal:
    """WAL positions around each message and, at the end, its records and full-page images (pg_walinspect)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False),
                                          autocommit=True)
        self.connection.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        self.names: dict[int, str] = {}

    def lsn(self) -> str:
        return self.connection.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]

    def checkpoint(self) -> None:
        self.connection.execute("CHECKPOINT")

    def stat(self) -> tuple:
        """pg_stat_wal's records, FPIs and bytes, once every process has reported (it stops changing)."""
        # An idle backend reports within 10 s (PGSTAT_IDLE_INTERVAL): wait for 11 s without a change.
        query = "SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal"
        last, since = self.connection.execute(query).fetchone(), time.monotonic()
        while time.monotonic() - since < 11:
            time.sleep(1)
            if (now := self.connection.execute(query).fetchone()) != last:
                last, since = now, time.monotonic()
        return last

    def between(self, start: str, end: str) -> Counter:
        """WAL from ``start`` to ``end``: bytes (LSN difference), record bytes, FPI count and bytes, FPIs by relation."""
        diff = self.connection.execute("SELECT pg_wal_lsn_diff(%s, %s)", (end, start)).fetchone()[0]
        counts = Counter({"wal bytes": int(diff)})
        for length, fpi_length, block_ref in self.connection.execute(
                "SELECT record_length, fpi_length, block_ref FROM pg_get_wal_records_info(%s, %s)", (start, end)):
            counts["wal record bytes"] += length - fpi_length
            counts["fpi bytes"] += fpi_length
            for relfilenode in FPI_BLOCK.findall(block_ref or ""):
                counts["fpi"] += 1
                counts["fpi " + self.relation(int(relfilenode))] += 1
        return counts

    def relation(self, relfilenode: int) -> str:
        """A relation's name, with "(heap)" for tables, from its file number."""
        if relfilenode not in self.names:
            row = self.connection.execute("SELECT relname, relkind FROM pg_class WHERE relfilenode = %s",
                                          (relfilenode,)).fetchone()
            self.names[relfilenode] = (f"{row[0]} (heap)" if row[1] == "r" else row[0]) if row else str(relfilenode)
        return self.names[relfilenode]

    def settings(self) -> str:
        names = ("server_version", "wal_level", "full_page_writes", "wal_compression", "synchronous_commit")
        return ", ".join(f"{name}={self.connection.execute(f'SHOW {name}').fetchone()[0]}" for name in names)


@contextmanager
def private_postgres(folder: Path, wal_compression: str = "off"):
    """A throwaway PostgreSQL cluster on a free port (WAL counts are per cluster); yields its base URL."""
    bindir = Path(shutil.which("initdb") or "initdb").resolve().parent
    data = folder / "pgdata"
    data.mkdir(mode=0o700)
    as_owner = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user
        import pwd

        account = pwd.getpwnam("postgres")
        for path in (folder, data):
            os.chown(path, account.pw_uid, account.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run(as_owner + [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                               "--locale=C", "--no-sync"], **quiet)
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c autovacuum=off"
               f" -c wal_compression={wal_compression}")
    subprocess.run(as_owner + [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "pg.log"),
                               "-w", "start"], **quiet)
    try:
        base = f"postgresql+psycopg://postgres@127.0.0.1:{port}/"
        admin = create_engine(base + "postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE test"))  # bench/scratch.py's admin database
        admin.dispose()
        yield base
    finally:
        subprocess.run(as_owner + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], **quiet)


class Bench:
    """The app, its test client and the rounds of five messages."""

    def __init__(self, url: str, meter: Meter, wal: Wal | None) -> None:
        from bot import create_app

        self.app = create_app()
        self.client, self.meter, self.wal = self.app.test_client(), meter, wal
        self.check = create_engine(url)  # the bench's own reads, between messages (not counted)
        self.titles = iter([row.title.replace("]]>", "") for row in read_rows(training_files()[-1])
                            if len(row.title.strip()) >= 8])
        self.kick = redis.Redis.from_url(REDIS_URL)
        self.next_user = 1000
        self.sent = 0  # every push, counted or not (a complaint that opened no case is retried)

    def say(self, openid: str, text_: str, cold: bool) -> tuple[str, Counter]:
        if cold:  # the relay is idle: this message's kick queues a run; and every page is cold
            self.kick.delete(KICK_KEY)
            if self.wal:
                self.wal.checkpoint()
        else:  # at peak a run is mostly queued already: the kick is one SET NX
            self.kick.set(KICK_KEY, "1", ex=60)
        start = self.wal.lsn() if self.wal else None
        self.meter.start()
        self.sent += 1
        response = self.client.post("/wechat", data=push_xml(openid, Content=text_).encode(),
                                    query_string=signed_query(TOKEN))
        counts = self.meter.stop()
        assert response.status_code == 200, response.data
        if self.wal:
            counts["lsn"] = (start, self.wal.lsn())
        return reply_text(response) or "", counts

    def latest_case(self, openid: str):
        with self.check.connect() as connection:
            return connection.execute(
                select(Case.number, Cadre.openid).join(Resident, Resident.id == Case.resident_id)
                .outerjoin(Cadre, Cadre.id == Case.assignee_id)
                .where(Resident.openid == openid).order_by(Case.id.desc()).limit(1)).first()

    def round(self, cold: bool = False) -> dict[str, Counter]:
        """One resident's complaint, supplement, 进度 and 帮助, and the assignee's 接单 (retried until a case opens)."""
        while True:
            openid = f"o_bench_{self.next_user}"
            self.next_user += 1
            reply, complaint = self.say(openid, next(self.titles), cold)
            case = self.latest_case(openid)
            if case is not None and case.openid:  # else a greeting, a co-report offer or nobody to assign
                break
        samples = {"complaint": complaint}
        reply, samples["supplement"] = self.say(openid, SUPPLEMENT, cold)
        assert "已补充" in reply, reply
        reply, samples["进度"] = self.say(openid, "进度", cold)
        assert case.number in reply, reply
        reply, samples["帮助"] = self.say(openid, "帮助", cold)
        assert reply, "帮助 got no reply"
        reply, samples["接单"] = self.say(case.openid, f"接单 {case.number}", cold)
        assert "已接单" in reply, reply
        return samples


def summarise(rounds: list[dict[str, Counter]], cold: dict[str, Counter], wal: Wal | None) -> list[str]:
    """The table (Markdown), then what it leaves out: prepares, Redis per command, where FPIs fell."""
    for sample in [s for r in rounds for s in r.values()] + list(cold.values()):
        sample["round trips"] -= sample["prepares"]
        if wal and "lsn" in sample:
            sample.update(wal.between(*sample.pop("lsn")))
            sample["wal without fpi"] = sample["wal bytes"] - sample["fpi bytes"]

    def mean(kind: str, name: str) -> float:
        return statistics.fmean(r[kind][name] for r in rounds)

    def figure(kind: str, name: str, spread: bool = True) -> str:
        values = [r[kind][name] for r in rounds]
        low, high, average = min(values), max(values), statistics.fmean(values)
        if low == high or not spread:
            return f"{average:,.0f}"
        return f"{average:,.1f} ({low:,}–{high:,})"

    head = ["message", "SQL statements", "transactions"]
    if wal:
        head += ["PG round trips (BEGIN/COMMIT)", "WAL bytes without FPI", "+ FPI bytes", "cold: FPI pages / WAL bytes"]
    head += ["Redis commands", "Redis round trips"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for kind in KINDS:
        row = [kind, figure(kind, "statements"), figure(kind, "transactions")]
        if wal:
            row += [f"{figure(kind, 'round trips')} ({figure(kind, 'tx')})", figure(kind, "wal without fpi", False),
                    figure(kind, "fpi bytes", False), f"{cold[kind]['fpi']} / {cold[kind]['wal bytes']:,}"]
        row += [figure(kind, "redis commands"), figure(kind, "redis round trips")]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    if wal:
        lines.append("Round trips leave out psycopg's one-off prepares (after 5 runs of a statement on a connection): "
                     + ", ".join(f"{kind} {mean(kind, 'prepares'):.2g}" for kind in KINDS) + " per message in this run.")
    lines.append("Redis when the kick queues a relay run (the relay idle, as in the cold round): "
                 + ", ".join(f"{kind} {cold[kind]['redis commands']} commands / {cold[kind]['redis round trips']} trips"
                             for kind in KINDS) + ".")
    for kind in KINDS:
        commands = sum((r[kind]["redis by command"] for r in rounds), Counter())
        lines.append(f"Redis, {kind}: " + ", ".join(f"{name} {calls / len(rounds):g}"
                                                     for name, calls in sorted(commands.items())))
    if wal:
        for kind in KINDS:
            steady = sum((Counter({k[4:]: v for k, v in r[kind].items() if k.startswith("fpi ") and k != "fpi bytes"})
                          for r in rounds), Counter())
            pages = Counter({k[4:]: v for k, v in cold[kind].items() if k.startswith("fpi ") and k != "fpi bytes"})
            heaps = sorted(name for name in pages if name.endswith("(heap)"))
            lines.append(f"FPI, {kind}: steady " + (", ".join(f"{name} {n / len(rounds):.2g}"
                                                            for name, n in steady.most_common()) or "none")
                         + f"; cold {sum(pages.values())} pages: {', '.join(heaps)} and {len(pages) - len(heaps)} index pages")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--count", type=int, default=20, help="steady-state rounds of five messages")
    parser.add_argument("--postgres", help="measure on this server (base URL ending in /) instead of a private one")
    parser.add_argument("--wal-compression", default="off", choices=["off", "pglz", "lz4", "zstd"],
                        help="the private server's wal_compression (how much smaller full-page images get)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-dbcost-"))
    os.chmod(folder, 0o755)
    try:
        if args.database == "postgresql" and not args.postgres:
            with private_postgres(folder, args.wal_compression) as base:
                run(args, folder, base)
        else:
            run(args, folder, args.postgres)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args, folder: Path, postgres_base: str | None) -> None:
    if postgres_base:
        bench.scratch.POSTGRES = postgres_base  # bench/webhook.py's database() makes its scratch database there
    url = database(args.database, folder)
    os.environ.update({"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": "wxbench0000000000", "WECHAT_APP_SECRET": "benchsecret",
                       "WECHAT_AES_KEY": "", "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
                       "BOT_INSTANCE": str(folder / "instance")})
    # 接单 from one cadre many times a minute: the limit must count (same Redis work), not refuse.
    config = yaml.safe_load(Path(os.environ.get("BOT_CONFIG") or ROOT / "config.yaml").read_text(encoding="utf-8"))
    config.setdefault("abuse", {})["rate_limit_per_minute"] = 10**6
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    os.environ["BOT_CONFIG"] = str(folder / "config.yaml")  # its includes fall back to the project's files
    redis.Redis.from_url(REDIS_URL).flushdb()
    meter = Meter(folder, REDIS_URL)
    wal = Wal(url) if args.database == "postgresql" else None
    bench_ = Bench(url, meter, wal)
    for _ in range(WARM_ROUNDS):  # compiled statements, caches, pools, jieba
        bench_.round()
    cold = bench_.round(cold=True)
    before, sent = (wal.stat() if wal else None), bench_.sent
    rounds = [bench_.round() for _ in range(args.count)]
    after, sent = (wal.stat() if wal else None), bench_.sent - sent
    print(f"\nDatabase cost per message on /wechat, {args.database}, mean of {args.count} rounds"
          f" ({time.strftime('%Y-%m-%d')}; `python bench/dbcost.py --database {args.database} --count {args.count}"
          + (f" --wal-compression {args.wal_compression}" if args.wal_compression != "off" else "") + "`)")
    if wal:
        print(wal.settings())
    print()
    print("\n".join(summarise(rounds, cold, wal)))
    if wal:
        records, fpi, size = (a - b for a, b in zip(after, before))
        print(f"\npg_stat_wal over the {args.count} steady rounds ({sent} messages, with complaints that opened no"
              f" case): {records:,} records, {fpi:,} FPI, {size:,} bytes = {size / sent:,.0f} bytes per message")


if __name__ == "__main__":
    main()
