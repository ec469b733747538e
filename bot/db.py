"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so."""
import time
from pathlib import Path

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker


def make_engine(url: str) -> Engine:
    """Create the engine, with SQLite tuned for several processes writing one file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # hide_parameters: an error's log line never carries a resident's text or phone.
        engine = create_engine(url, pool_size=5, max_overflow=5, pool_timeout=2, hide_parameters=True)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 5}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL keeps committed data safe on a crash
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle a while (where a server restart hides).

    A busy connection is not pinged: a round trip less per transaction. If the server went away
    under load anyway, the first error invalidates the whole pool and that request fails fast (503),
    so WeChat's retry gets fresh connections.
    """

    @event.listens_for(engine, "checkin")
    def _note(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError() from error  # the pool retries with a new connection


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit (replies are built from them)."""
    return sessionmaker(engine, expire_on_commit=False)
