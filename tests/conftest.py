"""Shared fixtures: the app on SQLite and on PostgreSQL, a real Redis, and a test client.

Every test that takes ``app`` runs twice, once per database. PostgreSQL is the machine's
(127.0.0.1:5432, database ``test``); Redis is the machine's, database 1, flushed per test.
"""
import os

import pytest
import redis
from sqlalchemy import create_engine, text

import models
from bot import create_app
from tests import wechat

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each test run gets databases of its own, so runs side by side never see each other's rows.
POSTGRES_URL = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/bot_test_{os.getpid()}"
# Under pytest-xdist each worker gets its own Redis database; a plain run picks one by pid.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_REDIS_DB = 1 + (int(_WORKER[2:]) if _WORKER.startswith("gw") else os.getpid()) % 14
REDIS_URL = os.environ.get("TEST_REDIS_URL", os.environ.get("TEST_REDIS_BASE", "redis://127.0.0.1:6379") + f"/{_REDIS_DB}")


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


def _truncate(engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database with the current schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        engine = create_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
        return url
    _truncate(request.getfixturevalue("postgres_schema"))
    return POSTGRES_URL


@pytest.fixture
def redis_client():
    """The machine's Redis, test database flushed."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def settings_overrides(database_url, tmp_path, redis_client):
    """Settings for a test app: the test account, fresh database, test Redis."""
    return {
        "WECHAT_TOKEN": wechat.TOKEN,
        "WECHAT_APP_ID": wechat.APP_ID,
        "WECHAT_APP_SECRET": wechat.APP_SECRET,
        "WECHAT_AES_KEY": wechat.AES_KEY,
        # Most tests post plaintext and AES alike; tests/test_hardening.py covers safe mode.
        "WECHAT_SECURITY_MODE": "compatible",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "BOT_INSTANCE": str(tmp_path / "instance"),
    }


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
