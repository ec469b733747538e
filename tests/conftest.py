"""Shared fixtures: the app on SQLite and on PostgreSQL, a real Redis, and a test client.

Every test that takes ``app`` runs twice, once per database. PostgreSQL is the machine's
(127.0.0.1:5432, database ``test``); Redis is the machine's, database 1, flushed per test.
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
from tests import roster_fixture, wechat
from tests.case_factory import dashboard_password_hash, known_world
from tests.databases import POSTGRES_ADMIN_URL, POSTGRES_URL, REDIS_URL, truncate
from tests.pushes import OwnRedis, write_config

DASHBOARD_SECRET_KEY = "test-secret-key-0123456789abcdef"


def pytest_configure(config):
    """Declare the markers that choose the app's surroundings."""
    config.addinivalue_line("markers", "pushes: the app talks to the fake WeChat API and the test's own Redis")
    config.addinivalue_line("markers", "dashboard: the app serves the dashboard")


@pytest.fixture(scope="session")
def postgres_schema():
    """Create this run's PostgreSQL database and schema; tests truncate it between them."""
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
    """The machine's Redis, test database flushed."""
    client = redis.Redis.from_url(REDIS_URL)
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
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
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
def dashboard_world(runtime):
    """Roster, residents, the known week; every leader, secretary and supervisor has a dashboard password."""
    people = ("leader", "leader2", "secretary", "supervisor", "road")
    with runtime.Session.begin() as session:
        r, residents, cases = known_world(session)
        session.add_all([DashboardLogin(cadre_id=r[key].id, password_hash=dashboard_password_hash()) for key in people])
        return {"phones": {k: r[k].phone for k in people}, "cases": {k: c.number for k, c in cases.items()}}
