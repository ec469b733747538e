"""The outbox relay and the workers: claims, leases, quiet hours, Redis outages, killed and parallel workers."""
import threading
from datetime import datetime, timedelta

import pytest
from rq import Queue, Worker
from rq.cron import CronScheduler
from sqlalchemy import update

from bot.cases.outbox import notify
from bot.delivery.jobs import QUEUE, run_worker
from bot.delivery.notifier import deliver
from bot.delivery.relay import claim, kick, relay_once
from bot.delivery.schedules import register
from bot.timefmt import CHINA
from models import Notification, Resident, utcnow
from tests.pushes import count_redis_connections, kill, roster, rows, sends, start_worker, wait_for, write_config

pytestmark = pytest.mark.pushes


@pytest.fixture
def residents(runtime):
    """Three residents who wrote an hour ago (customer-service window open)."""
    with runtime.Session.begin() as session:
        found = roster(session)
        for resident in found["residents"]:
            resident.last_message_at = utcnow() - timedelta(hours=1)
        return [r.id for r in found["residents"]]


def write(runtime, residents: list[int], count: int, urgent_every: int = 0) -> None:
    """``count`` notifications spread over the residents, each with its own source."""
    with runtime.Session.begin() as session:
        people = [session.get(Resident, r) for r in residents]
        for i in range(count):
            notify(session, f"test:{i}", people[i % len(people)], "answer", f"第 {i} 条通知",
                   urgent=bool(urgent_every) and i % urgent_every == 0)


def assert_each_sent_once(runtime, fake, count: int) -> None:
    """Every test row is sent, and the fake received each exactly once."""
    # Past 5 per window a resident's pushes go as templates, whose first field holds the title.
    contents = [r["body"]["text"]["content"] if "text" in r["body"] else r["body"]["data"]["thing1"]["value"]
                for r in sends(fake) if r["errcode"] == 0]
    assert sorted(contents) == sorted(f"第 {i} 条通知" for i in range(count))
    assert all(row.state == "sent" for row in rows(runtime) if row.source.startswith("test:"))


def test_two_relays_never_claim_the_same_row(runtime, residents):
    write(runtime, residents, 100)
    cfg = dict(runtime.config["notifications"], relay_limit=60)
    results, start = [], threading.Barrier(2)

    def relay():
        start.wait()
        with runtime.Session.begin() as session:
            results.append(claim(session, utcnow(), cfg))

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    first, second = ({i for i, _ in found} for found in results)
    assert not first & second and len(first | second) == 100


def test_an_expired_lease_is_claimed_again_and_fences_the_old_worker(runtime, fake, residents):
    write(runtime, residents, 1)
    cfg, now = runtime.config["notifications"], utcnow()
    with runtime.Session.begin() as session:
        assert claim(session, now, cfg) == [(1, 1)]
    with runtime.Session.begin() as session:
        assert claim(session, now + timedelta(seconds=cfg["lease_seconds"] - 1), cfg) == []  # leased
    later = now + timedelta(seconds=cfg["lease_seconds"])
    with runtime.Session.begin() as session:
        assert claim(session, later, cfg) == [(1, 2)]  # its worker vanished: handed out again
    assert deliver(runtime, 1, 1, later) is None  # the old claim may not send any more
    assert sends(fake) == []
    assert deliver(runtime, 1, 2, later) == "sent"
    assert len(sends(fake)) == 1


def test_a_row_that_waited_out_its_lease_in_the_queue_is_renewed_and_sent(runtime, fake, residents):
    write(runtime, residents, 1)
    cfg, now = runtime.config["notifications"], utcnow()
    with runtime.Session.begin() as session:
        [(row_id, attempt)] = claim(session, now, cfg)
    late = now + timedelta(seconds=cfg["lease_seconds"] + 1)  # the job ran late; no relay claimed it yet
    assert deliver(runtime, row_id, attempt, late) == "sent"
    assert [(r.state, r.attempts) for r in rows(runtime)] == [("sent", 1)] and len(sends(fake)) == 1


def test_quiet_hours_hold_non_urgent_pushes_until_morning(runtime, residents):
    runtime.config["notifications"]["quiet_hours"] = {"start": "22:00", "end": "07:00"}
    write(runtime, residents, 4, urgent_every=2)  # rows 0 and 2 urgent
    cfg = runtime.config["notifications"]

    def claimed_at(hour: int, minute: int = 0) -> list[int]:
        moment = datetime(2030, 3, 5, hour, minute, tzinfo=CHINA) + (timedelta(days=1) if hour < 12 else timedelta())
        with runtime.Session.begin() as session:
            return [i for i, _ in claim(session, moment, cfg)]

    assert claimed_at(22, 0) == [1, 3]  # urgent ones go at once (ids 1 and 3 are rows 0 and 2)
    with runtime.Session.begin() as session:
        session.execute(update(Notification).where(Notification.id.in_([1, 3])).values(state="sent"))
    assert claimed_at(6, 59) == []
    assert claimed_at(7, 0) == [2, 4]


def test_without_redis_the_relay_gives_claims_back_and_kick_is_harmless(runtime, residents, own_redis):
    write(runtime, residents, 3)
    own_redis.stop()
    asked = count_redis_connections(runtime)
    kick(runtime)
    kick(runtime)
    assert len(asked) == 1  # the second kick does not wait on the Redis that just failed
    assert relay_once(runtime) == 0
    assert [(r.state, r.attempts) for r in rows(runtime)] == [("pending", 0)] * 3


def test_kicks_coalesce_into_one_relay_run(runtime, own_redis):
    for _ in range(5):
        kick(runtime)
    assert Queue(QUEUE, connection=own_redis.client()).count == 1


def test_redis_down_while_pushes_are_written_then_back_delivers_each_once(app, runtime, fake, residents,
                                                                         own_redis):
    own_redis.stop()
    write(runtime, residents, 20)
    kick(runtime)  # the webhook's kick after its commit: swallowed, the rows wait
    assert relay_once(runtime) == 0
    own_redis.start()
    runtime.kick_down_until = 0.0
    cron = CronScheduler(connection=own_redis.client())
    register(cron, runtime.config)
    cron.enqueue_jobs()  # the scheduler's periodic relay (and the scans) come due
    run_worker(app, burst=True)
    assert_each_sent_once(runtime, fake, 20)


def test_a_worker_killed_mid_job_delivers_exactly_once(app, runtime, fake, residents, settings_overrides,
                                                       tmp_path, own_redis):
    # The killed worker's token lock (2 x timeout + 1 s) and its lease both run out in ~5 s.
    env = settings_overrides | {"BOT_CONFIG": write_config(tmp_path, http_timeout_seconds=2)}
    write(runtime, residents, 1)
    worker = start_worker(env, tmp_path / "worker.log", burst=False)
    try:
        wait_for(lambda: Worker.all(connection=own_redis.client()))
        fake.slow(30, path="token")  # the job will hang fetching its token: kill it there
        assert relay_once(runtime) == 1
        wait_for(lambda: fake.messages(path="token"))
    finally:
        kill(worker)
    [row] = rows(runtime)
    assert (row.state, row.attempts) == ("sending", 1) and sends(fake) == []
    wait_for(lambda: relay_once(runtime), timeout=15, step=0.2)  # once the lease ran out
    run_worker(app, burst=True)
    [row] = rows(runtime)
    assert (row.state, row.attempts) == ("sent", 2)
    assert_each_sent_once(runtime, fake, 1)


def test_two_workers_send_no_duplicates(runtime, fake, residents, settings_overrides, own_redis, tmp_path):
    write(runtime, residents, 60)
    runtime.config["notifications"]["lease_seconds"] = 60  # no lease runs out: this is about the two workers
    workers = [start_worker(settings_overrides, tmp_path / f"worker{i}.log", burst=False) for i in range(2)]
    try:
        wait_for(lambda: len(Worker.all(connection=own_redis.client())) == 2)
        assert relay_once(runtime) == 60
        assert relay_once(runtime) == 0
        wait_for(lambda: all(r.state == "sent" for r in rows(runtime)), timeout=40, step=0.2)
    finally:
        for worker in workers:
            kill(worker)
    assert_each_sent_once(runtime, fake, 60)
    with runtime.Session() as session:
        assert session.query(Notification).filter(Notification.attempts != 1).count() == 0
