"""Scratch databases for the benchmarks: a fresh SQLite file, or a fresh PostgreSQL database."""
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def scratch_database(kind: str, name: str, folder: Path) -> str:
    """The URL of an empty database ``name``: a file in ``folder``, or one made anew on PostgreSQL."""
    if kind == "sqlite":
        return f"sqlite:///{folder / (name + '.sqlite3')}"
    admin = create_engine(POSTGRES + "test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return POSTGRES + name
