"""Scratch databases for the benchmarks: a fresh SQLite file, or a fresh PostgreSQL database."""
import atexit
import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def _admin(statement: str, server: str | None = None) -> None:
    admin = create_engine((server or POSTGRES) + "test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def _drop(name: str, server: str) -> None:
    try:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", server)
    except OperationalError:
        pass  # the server is gone already (bench/dbcost.py's private one): nothing left to drop


def scratch_database(kind: str, name: str, folder: Path) -> str:
    """The URL of an empty database ``name``: a file in ``folder``, or one made anew on PostgreSQL.

    On PostgreSQL the name gets the process id, so benchmarks run side by side never drop each
    other's database; it is dropped when the process exits.
    """
    if kind == "sqlite":
        return f"sqlite:///{folder / (name + '.sqlite3')}"
    name = f"{name}_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name}")
    atexit.register(_drop, name, POSTGRES)
    return POSTGRES + name
