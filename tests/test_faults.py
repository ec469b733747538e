"""Faults with real servers: Redis stopped, PostgreSQL restarted, WeChat's API failing, a worker
SIGKILLed, and two app processes with two workers fed the same messages at once."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from rq import Worker
from sqlalchemy import create_engine, func, select

import models
from bot import create_app
from bot.delivery.jobs import run_worker
from bot.delivery.relay import relay_once
from models import Case, CaseReporter, CoReportOffer, InboundMessage, Notification, utcnow
from tests import wechat
from tests.conftest import POSTGRES_URL, _truncate
from tests.servers import REQUIRE_POSTGRES
from tests.faults import PG_BIN, OwnPostgres, complaint, residents, start_gunicorn, stop
from tests.pushes import (  # noqa: F401
    fake,
    kill,
    own_redis,
    rows,
    send_due,
    sends,
    settings_overrides,
    start_worker,
    wait_for,
    write_config,
)


def count(runtime, model, *where) -> int:
    with runtime.Session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def each_stored_once(runtime, msg_ids) -> None:
    """Every acknowledged MsgId is one InboundMessage row, and no other row exists."""
    with runtime.Session() as session:
        keys = session.scalars(select(InboundMessage.dedupe_key)).all()
    assert sorted(keys) == sorted(f"msg:{m}" for m in msg_ids)


def test_redis_down_messages_are_stored_duplicates_refused_and_pushes_sent_after(app, client, runtime, fake,
                                                                                 own_redis):
    with runtime.Session.begin() as session:
        people = residents(session, 3)
    own_redis.stop()
    started, ids = time.monotonic(), [wechat.new_msg_id() for _ in people]
    for i, (openid, msg_id) in enumerate(zip(people, ids)):
        first = wechat.post(client, complaint(openid, msg_id, i))
        retry = wechat.post(client, complaint(openid, msg_id, i))  # WeChat's retry, Redis can't tell
        assert first.status_code == retry.status_code == 200
        assert wechat.reply_text(first) == wechat.reply_text(retry) and "案件编号" in wechat.reply_text(first)
    assert time.monotonic() - started < 5  # a dead Redis costs no waiting per message
    each_stored_once(runtime, ids)
    assert count(runtime, CaseReporter) == 3
    pushes = count(runtime, Notification)
    assert pushes >= 3 and sends(fake) == []
    own_redis.start()
    runtime.services.pop("kick_down_until", None)
    assert relay_once(runtime) == pushes  # the scheduler's periodic relay, once Redis is back
    run_worker(app, burst=True)
    assert [r.state for r in rows(runtime)] == ["sent"] * pushes and len(sends(fake)) == pushes


@pytest.fixture(scope="module")
def own_postgres():
    """A PostgreSQL of this module's own: the test restarts it."""
    if not (PG_BIN / "initdb").exists():
        (pytest.fail if REQUIRE_POSTGRES else pytest.skip)(f"PostgreSQL's server programs not found in {PG_BIN}")
    server = OwnPostgres()
    server.start()
    yield server
    server.close()


def test_postgres_restart_fails_fast_and_every_acknowledged_message_exists_once(own_postgres, redis_client,
                                                                                 tmp_path):
    from tests.conftest import REDIS_URL

    engine = create_engine(own_postgres.url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"WECHAT_TOKEN": wechat.TOKEN, "WECHAT_APP_ID": wechat.APP_ID, "WECHAT_APP_SECRET": wechat.APP_SECRET,
                      "DATABASE_URL": own_postgres.url, "REDIS_URL": REDIS_URL, "BOT_INSTANCE": str(tmp_path)})
    runtime, client = app.extensions["bot"], app.test_client()
    with runtime.Session.begin() as session:
        people = residents(session, 40)
    answers, stop_sending = {}, threading.Event()

    def send_all():
        for i, openid in enumerate(people):
            msg_id = wechat.new_msg_id()
            started = time.monotonic()
            response = wechat.post(client, complaint(openid, msg_id, i))
            answers[msg_id] = (i, openid, response.status_code, time.monotonic() - started)
            time.sleep(0.1)

    sender = threading.Thread(target=send_all)
    sender.start()
    time.sleep(1)
    own_postgres.stop()
    time.sleep(1)
    own_postgres.start()
    sender.join(60)
    stop_sending.set()
    statuses = [status for _, _, status, _ in answers.values()]
    assert set(statuses) <= {200, 503} and statuses.count(503) >= 3, statuses
    assert max(took for _, _, status, took in answers.values() if status == 503) < 1.5  # fail fast
    for msg_id, (i, openid, status, _) in answers.items():
        if status != 200:  # WeChat retries what was not acknowledged
            assert wechat.post(client, complaint(openid, msg_id, i)).status_code == 200
    each_stored_once(runtime, answers)
    # Every report exists once: a case's reporter, or waiting for its 是/否 (a co-report offer).
    assert count(runtime, CaseReporter) + count(runtime, CoReportOffer) == len(people)
    runtime.engine.dispose()


@pytest.mark.parametrize("failure, final", [(-1, "sent"), (45009, "sent"), (43004, "given_up"), (40001, "sent"),
                                            ("slow", "sent")])
def test_wechat_api_failing_each_way_ends_sent_once_or_given_up(client, runtime, fake, failure, final):
    with runtime.Session.begin() as session:
        [openid] = residents(session, 1)
    wechat.post(client, complaint(openid, wechat.new_msg_id(), 0))
    push = count(runtime, Notification)
    if failure == "slow":
        fake.slow(3, path="message/template/send")  # beyond the test's 1 s HTTP timeout
    else:
        fake.fail(failure, path="message/template/send")
    now = utcnow()
    send_due(runtime, now)
    for later in (timedelta(hours=1), timedelta(days=1), timedelta(days=2)):  # past the backoff, the quota pause
        send_due(runtime, now + later)
    assert [r.state for r in rows(runtime)] == [final] * push
    delivered = [r for r in sends(fake) if r["errcode"] == 0]
    assert len(delivered) == (push if final == "sent" else 0)
    if final == "given_up":
        assert "43004" in rows(runtime)[0].last_error


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # workers are the point, not the database
def test_a_worker_killed_mid_job_delivers_the_case_push_exactly_once(app, client, runtime, fake, own_redis,
                                                                       settings_overrides, tmp_path):
    with runtime.Session.begin() as session:
        [openid] = residents(session, 1)
    env = settings_overrides | {"BOT_CONFIG": write_config(tmp_path, http_timeout_seconds=2)}
    worker = start_worker(env, tmp_path / "worker.log", burst=False)
    try:
        wait_for(lambda: Worker.all(connection=own_redis.client()))
        fake.slow(30, path="token")  # the job hangs fetching its token: it is killed there
        assert wechat.post(client, complaint(openid, wechat.new_msg_id(), 0)).status_code == 200  # kicks the relay
        wait_for(lambda: fake.messages(path="token"))
    finally:
        kill(worker)
    assert {r.state for r in rows(runtime)} == {"sending"} and sends(fake) == []
    wait_for(lambda: relay_once(runtime), timeout=15, step=0.2)  # once the lease ran out
    run_worker(app, burst=True)
    assert {(r.state, r.attempts) for r in rows(runtime)} == {("sent", 2)}
    assert len([r for r in sends(fake) if r["errcode"] == 0]) == len(rows(runtime))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # several processes: PostgreSQL's case
def test_two_app_processes_and_two_workers_fed_the_same_messages(postgres_schema, fake, own_redis,
                                                                  settings_overrides, tmp_path):
    _truncate(postgres_schema)
    env = settings_overrides | {"DATABASE_URL": POSTGRES_URL, "WECHAT_AES_KEY": "", "WECHAT_SECURITY_MODE": "plaintext"}
    app = create_app(env)
    runtime = app.extensions["bot"]
    with runtime.Session.begin() as session:
        people = residents(session, 30)
    processes = [start_gunicorn(env, tmp_path / f"app{i}.log") for i in range(2)]
    workers = [start_worker(env, tmp_path / f"worker{i}.log", burst=False) for i in range(2)]
    try:
        messages = [(openid, wechat.new_msg_id(), i) for i, openid in enumerate(people)]

        def deliver(job):
            (openid, msg_id, i), (_, port) = job
            query = urlencode(wechat.signed_query())
            body = complaint(openid, msg_id, i).encode()
            return requests.post(f"http://127.0.0.1:{port}/wechat?{query}", data=body, timeout=10).status_code

        jobs = [(m, p) for m in messages for p in processes]  # every message to both apps, at once
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(deliver, jobs)) == {200}
        wait_for(lambda: len(Worker.all(connection=own_redis.client())) == 2)
        push = count(runtime, Notification)
        wait_for(lambda: count(runtime, Notification, Notification.state == "sent") == push, timeout=30, step=0.2)
    finally:
        for process, _ in processes:
            stop(process)
        for worker in workers:
            kill(worker)
    each_stored_once(runtime, [msg_id for _, msg_id, _ in messages])
    assert count(runtime, CaseReporter) + count(runtime, CoReportOffer) == len(people)
    assert count(runtime, Case) <= len(people)
    delivered = [(r["to"], str(r["body"])) for r in sends(fake) if r["errcode"] == 0]
    assert len(delivered) == push and len(set(delivered)) == push  # no push twice
    runtime.engine.dispose()
