"""Faults with real servers: Redis stopped, PostgreSQL restarted, WeChat's API failing, and two app
processes with two workers fed the same messages at once (a worker SIGKILLed mid-job: test_relay.py)."""
import threading
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
from tests import servers, wechat
from tests.databases import POSTGRES_URL, truncate
from tests.faults import PG_BIN, OwnPostgres, complaint, residents, start_gunicorn, stop
from tests.pushes import count_redis_connections, kill, rows, send_due, sends, start_worker, wait_for
from tests.servers import REQUIRE_POSTGRES

pytestmark = pytest.mark.pushes


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
    asked = count_redis_connections(runtime)
    ids = [wechat.new_msg_id() for _ in people]
    for i, (openid, msg_id) in enumerate(zip(people, ids)):
        before = len(asked)
        first = wechat.post(client, complaint(openid, msg_id, i))
        retry = wechat.post(client, complaint(openid, msg_id, i))  # WeChat's retry, Redis can't tell
        assert first.status_code == retry.status_code == 200
        assert wechat.reply_text(first) == wechat.reply_text(retry) and "案件编号" in wechat.reply_text(first)
        if i:  # once a part saw Redis fail it pauses: later messages ask the dead Redis at most once each
            assert len(asked) - before <= 2
    each_stored_once(runtime, ids)
    assert count(runtime, CaseReporter) == 3
    pushes = count(runtime, Notification)
    assert pushes >= 3 and sends(fake) == []
    own_redis.start()
    runtime.kick_down_until = 0.0
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
    engine = create_engine(own_postgres.url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"WECHAT_TOKEN": wechat.TOKEN, "WECHAT_APP_ID": wechat.APP_ID, "WECHAT_APP_SECRET": wechat.APP_SECRET,
                      "DATABASE_URL": own_postgres.url, "REDIS_URL": servers.redis_url(), "BOT_INSTANCE": str(tmp_path)})
    runtime, client = app.extensions["bot"], app.test_client()
    with runtime.Session.begin() as session:
        people = residents(session, 40)
    answers, stopped, restarted = {}, threading.Event(), threading.Event()

    def statuses() -> list[int]:
        return [status for _, _, status in list(answers.values())]

    def send_all():
        for i, openid in enumerate(people):
            if i == len(people) // 2:
                stopped.wait(60)  # half the messages meet the outage, however fast the first half went
            msg_id = wechat.new_msg_id()
            answers[msg_id] = (i, openid, wechat.post(client, complaint(openid, msg_id, i)).status_code)
            if statuses().count(503) >= 3:
                restarted.wait(60)  # enough refusals seen: keep the rest of the messages for after the restart

    sender = threading.Thread(target=send_all)
    sender.start()
    wait_for(lambda: len(answers) >= 3)  # traffic is flowing
    own_postgres.stop()
    stopped.set()
    # Failing fast: while the database is down, messages are refused with 503 instead of hanging.
    wait_for(lambda: statuses().count(503) >= 3)
    own_postgres.start()
    restarted.set()
    sender.join(60)
    assert len(answers) == len(people) and set(statuses()) == {200, 503}, statuses()
    for msg_id, (i, openid, status) in answers.items():
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


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # several processes: PostgreSQL's case
def test_two_app_processes_and_two_workers_fed_the_same_messages(postgres_schema, fake, own_redis,
                                                                  settings_overrides, tmp_path):
    truncate(postgres_schema)
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
