"""Shared fixtures: the app on SQLite and on PostgreSQL, a real Redis, and a test client.

Every test that takes ``app`` runs twice, once per database. PostgreSQL is the machine's
(127.0.0.1:5432, database ``test``, or ``TEST_DATABASE_URL``); Redis is the machine's, one database per
worker, flushed per test. What happens when either is missing is in tests/servers.py.
A module marked ``pushes`` gets an app that talks to the fake WeChat API and a Redis of the
test's own; one marked ``dashboard`` gets the dashboard switched on.
"""
import pytest
import redis
from sqlalchemy import create_engine, text

import models
from bot import create_app
from bot.wechat.fake import FakeWeChatServer
from models import DashboardLogin
from tests import roster_fixture, servers, wechat
from tests.case_factory import dashboard_password_hash, known_world
from tests.dialog import Chat
from tests.databases import POSTGRES_ADMIN_URL, POSTGRES_URL, truncate
from tests.pushes import OwnRedis, write_config

DASHBOARD_SECRET_KEY = "test-secret-key-0123456789abcdef"


def pytest_configure(config):
    """Declare the markers that choose the app's surroundings."""
    config.addinivalue_line("markers", "pushes: the app talks to the fake WeChat API and the test's own Redis")
    config.addinivalue_line("markers", "dashboard: the app serves the dashboard")


def __getattr__(name: str):
    """``REDIS_URL``, resolved on first use: an embedded Redis starts only in a process that needs one."""
    if name == "REDIS_URL":
        return servers.redis_url()
    raise AttributeError(name)


def pytest_sessionstart(session):
    """Under CI's REQUIRE_POSTGRES / REQUIRE_BROWSER, stop at once when a server or the browser is missing."""
    if missing := servers.required_missing():
        pytest.exit("\n".join(missing), returncode=3)


def pytest_collection_modifyitems(config, items):
    """Without PostgreSQL, skip the PostgreSQL half of each database-parametrised test (one reason)."""
    halves = [item for item in items
              if "postgresql" in getattr(getattr(item, "callspec", None), "params", {}).values()]
    if halves and (reason := servers.postgres_missing()):
        for item in halves:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    """One line per missing server or browser: what was skipped for it and how to run it."""
    counts = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2].removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else ""
        if reason.startswith(("PostgreSQL not reachable", servers.CHROMIUM_MISSING)):
            counts[reason] = counts.get(reason, 0) + 1
    for reason, count in counts.items():
        hint = servers.POSTGRES_HINT if reason.startswith("PostgreSQL") else "install them to run them"
        terminalreporter.write_line(f"{reason}: {count} tests skipped; {hint}", yellow=True)


@pytest.fixture(scope="session")
def postgres_schema():
    """Create this run's PostgreSQL database and schema; tests truncate it between them."""
    if reason := servers.postgres_missing():
        pytest.skip(reason)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = POSTGRES_URL.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine = create_engine(POSTGRES_URL)
    models.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database with the current schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        engine = create_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
        return url
    truncate(request.getfixturevalue("postgres_schema"))
    return POSTGRES_URL


@pytest.fixture
def redis_client():
    """The machine's Redis (or the embedded one), test database flushed."""
    client = redis.Redis.from_url(servers.redis_url())
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def own_redis():
    """A Redis of the test's own (the machine's is shared with other tests; this one may be stopped)."""
    server = OwnRedis()
    server.start()
    yield server
    server.close()


@pytest.fixture
def fake():
    """The fake WeChat API (official account and WeCom)."""
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture
def settings_overrides(request, database_url, tmp_path, redis_client):
    """Settings for a test app: the test account, fresh database, test Redis (see the markers above)."""
    settings = {
        "WECHAT_TOKEN": wechat.TOKEN,
        "WECHAT_APP_ID": wechat.APP_ID,
        "WECHAT_APP_SECRET": wechat.APP_SECRET,
        "WECHAT_AES_KEY": wechat.AES_KEY,
        # Most tests post plaintext and AES alike; tests/test_hardening.py covers safe mode.
        "WECHAT_SECURITY_MODE": "compatible",
        "DATABASE_URL": database_url,
        "REDIS_URL": servers.redis_url(),
        "BOT_INSTANCE": str(tmp_path / "instance"),
    }
    if request.node.get_closest_marker("pushes"):
        settings |= {"WECHAT_API_BASE_URL": request.getfixturevalue("fake").url,
                     "REDIS_URL": request.getfixturevalue("own_redis").url,
                     "WECOM_CORP_ID": "wwcorp", "WECOM_SECRET": "corpsecret", "WECOM_AGENT_ID": "1000002",
                     "BOT_CONFIG": write_config(tmp_path)}
    if request.node.get_closest_marker("dashboard"):
        settings["DASHBOARD_SECRET_KEY"] = DASHBOARD_SECRET_KEY
    return settings


@pytest.fixture
def app(settings_overrides):
    """The app under test."""
    app = create_app(settings_overrides)
    yield app
    app.extensions["bot"].engine.dispose()


@pytest.fixture
def runtime(app):
    """The app's runtime (database sessions, Redis, registry)."""
    return app.extensions["bot"]


@pytest.fixture
def client(app):
    """A test client for the webhook."""
    return app.test_client()


@pytest.fixture
def roster(runtime):
    """The test roster, committed; returns ids by short name."""
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        residents = {name: roster_fixture.resident(session, f"o_{name}", rows["village"]) for name in ("ah", "bo")}
        residents["far"] = roster_fixture.resident(session, "o_far", rows["other_village"])
        return {k: v.id for k, v in {**rows, **residents}.items()}


@pytest.fixture
def chat(runtime, roster):
    """A conversation with the bot over the test roster, at the roster's time."""
    return Chat(runtime, roster_fixture.NOW)


@pytest.fixture
def dashboard_world(runtime):
    """Roster, residents, the known week; every leader, secretary and supervisor has a dashboard password."""
    people = ("leader", "leader2", "secretary", "supervisor", "road")
    with runtime.Session.begin() as session:
        r, residents, cases = known_world(session)
        session.add_all([DashboardLogin(cadre_id=r[key].id, password_hash=dashboard_password_hash()) for key in people])
        return {"phones": {k: r[k].phone for k in people}, "cases": {k: c.number for k, c in cases.items()}}
