"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so."""
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker


def make_engine(url: str) -> Engine:
    """Create the engine, with SQLite tuned for several processes writing one file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: after a PostgreSQL restart the first request gets a fresh connection, not an error.
        # hide_parameters: an error's log line never carries a resident's text or phone.
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=2,
                             hide_parameters=True)
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


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit (replies are built from them)."""
    return sessionmaker(engine, expire_on_commit=False)
