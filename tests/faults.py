"""Helpers for the fault tests: a PostgreSQL of the test's own, app processes, a roster of residents."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from models import Resident
from tests import roster_fixture, wechat

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class OwnPostgres:
    """A PostgreSQL cluster in a temporary folder on a free port, which a test may restart."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="faultpg")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                                     "--no-sync"]), check=True, capture_output=True)

    def pg_ctl(self, *args: str) -> None:
        """Run pg_ctl on the cluster and wait for it."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", self.data, "-o", options, "-w",
                                     "-l", os.path.join(self.dir, "log"), *args]), check=True, capture_output=True)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


def residents(session, count: int, prefix: str = "o_r") -> list[str]:
    """The small roster plus ``count`` residents bound to its first village; returns their openids."""
    rows = roster_fixture.build(session)
    session.add_all([Resident(openid=f"{prefix}{i}", village=rows["village"], pending_text="", pending_choices=[])
                     for i in range(count)])
    return [f"{prefix}{i}" for i in range(count)]


COMPLAINTS = ["村口的路坏了很久，晚上路灯也不亮", "水渠堵塞了，稻田灌溉不了", "村里垃圾好几天没人清运，很臭",
              "小学门口没有减速带，孩子上学很危险", "低保评定不公开，想问问标准", "养猪场污水排进河里"]


def complaint(openid: str, msg_id: str, i: int) -> str:
    """A resident's complaint push with a fixed MsgId (a retry sends the same one)."""
    return wechat.push_xml(openid, MsgId=msg_id, Content=f"{COMPLAINTS[i % len(COMPLAINTS)]}（第{i}户）")


def start_gunicorn(env: dict, log: Path, workers: int = 1, preload: bool = False) -> tuple[subprocess.Popen, int]:
    """One gunicorn app process (sync workers) with the test's settings; waits until it answers."""
    port = free_port()
    with open(log, "ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:bot.gunicorn_conf", "-w", str(workers),
                                    "-b", f"127.0.0.1:{port}",
                                    *(["--preload"] if preload else []), "bot:create_app()"], cwd=ROOT, env={**os.environ, **env}, stdout=output,
                                   stderr=output, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:  # the port opens before the worker has loaded the app: wait for /healthz instead
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process, port
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM a process group and wait for it (SIGKILL after 10 s)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
