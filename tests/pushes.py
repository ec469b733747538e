"""Helpers for the push tests: a Redis of our own, the fake WeChat API, a roster, worker processes."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import redis
import yaml

from bot.delivery.notifier import deliver
from bot.delivery.relay import claim
from bot.redis_server import server_binary
from bot.settings import DEFAULT_CONFIG
from models import Cadre, Case, Membership, Notification, Resident, Team, Township, Village, utcnow

ROOT = Path(__file__).resolve().parent.parent
# Short enough for tests, long enough for a send: the worker-kill test waits for one lease.
TEST_NOTIFICATIONS = {"lease_seconds": 4, "send_budget_seconds": 2, "http_timeout_seconds": 1,
                      "max_attempts": 3, "backoff_base_seconds": 30, "batch_size": 5,
                      "quiet_hours": {"start": "00:00", "end": "00:00"}}  # none, unless a test sets them


class OwnRedis:
    """A redis-server on a unix socket, which a test may stop and start again."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pushredis")  # short: unix socket paths are limited
        self.socket = os.path.join(self.dir, "redis.sock")
        self.url = f"unix://{self.socket}"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [server_binary(), "--port", "0", "--unixsocket", self.socket, "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while True:
            try:
                if redis.Redis(unix_socket_path=self.socket).ping():
                    return
            except (redis.ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=self.socket)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def write_config(directory: Path, **notifications) -> str:
    """A copy of config.yaml with test values in its ``notifications`` block; returns its path."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config["notifications"].update(TEST_NOTIFICATIONS | notifications)
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return str(path)


def roster(session) -> dict:
    """A township, a village with its team (leader, two members), a secretary, a supervisor, residents."""
    township = Township(name="江海镇", county="新会区", code="JH", station_weekday=2)
    team = Team()
    village = Village(name="龙湾村", township=township, team=team)
    people = {role: Cadre(name=name, phone=phone, role=role, openid=f"o-{phone}", township=township,
                          county="新会区" if role == "supervisor" else "")
              for role, name, phone in [("leader", "李组长", "13800000001"), ("member", "王干部", "13800000002"),
                                        ("secretary", "陈书记", "13800000003"), ("supervisor", "赵督查", "13800000004")]}
    helper = Cadre(name="黄委员", phone="13800000005", role="member", openid="o-13800000005")
    team.leader = people["leader"]
    team.memberships = [Membership(cadre=people["member"]), Membership(cadre=helper, auxiliary=True)]
    residents = [Resident(openid=f"o-resident-{i}", village=village) for i in range(3)]
    session.add_all([township, village, *people.values(), helper, *residents])
    session.flush()
    return {"township": township, "village": village, "team": team, **people, "helper": helper,
            "residents": residents}


def make_case(session, village, resident, owner, number: str, due: datetime, **fields) -> Case:
    """An open case owned by ``owner`` (accepted when received) with resolve time limit ``due``."""
    received_at = fields.pop("received_at", utcnow())
    case = Case(number=number, village=village, resident=resident, category="道路交通", text="村口路灯坏了",
                state=fields.pop("state", "accepted"), owner=owner, received_at=received_at,
                accepted_at=fields.pop("accepted_at", received_at), contact_due_at=due - timedelta(days=6),
                resolve_due_at=due, **fields)
    session.add(case)
    session.flush()
    return case


def send_due(runtime, now: datetime | None = None) -> list[str | None]:
    """Claim what is due and deliver it in this process (no queue); returns the new states."""
    now = now or utcnow()
    with runtime.Session.begin() as session:
        claims = claim(session, now, runtime.config["notifications"])
    return [deliver(runtime, notification_id, attempt, now) for notification_id, attempt in claims]


def rows(runtime) -> list[Notification]:
    """Every notification, by id."""
    with runtime.Session() as session:
        return list(session.query(Notification).order_by(Notification.id))


def sends(fake, to: str | None = None) -> list[dict]:
    """The fake's records of message sends (customer-service, template, WeCom), oldest first."""
    paths = {"/cgi-bin/message/custom/send", "/cgi-bin/message/template/send", "/cgi-bin/message/send"}
    return [r for r in fake.messages(to=to) if r["path"] in paths]


def start_worker(env: dict, log: Path, burst: bool = True) -> subprocess.Popen:
    """``python -m bot worker`` in a process of its own, with the test's settings, logging to ``log``."""
    args = [sys.executable, "-m", "bot", "worker"] + (["--burst"] if burst else [])
    with open(log, "ab") as output:  # a file, not a pipe nobody reads: a full pipe would stall the worker
        return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output,
                                start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL a worker: no chance to clean up, as when a machine dies."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


def wait_for(predicate, timeout: float = 20.0, step: float = 0.05):
    """Poll until ``predicate()`` is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)
    return value


def count_redis_connections(runtime) -> list:
    """Record every connection the runtime's Redis client asks for (each one a try on a dead Redis)."""
    pool, asked = runtime.redis.connection_pool, []
    get_connection = pool.get_connection

    def counted(*args, **kwargs):
        asked.append(args)
        return get_connection(*args, **kwargs)

    pool.get_connection = counted
    return asked
