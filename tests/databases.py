"""Where the tests' PostgreSQL databases are, and how one is emptied between tests (Redis: tests/servers.py)."""
import os

from sqlalchemy import text

import models
from tests.servers import POSTGRES_ADMIN_URL

# Each test run gets databases of its own, so runs side by side never see each other's rows.
POSTGRES_URL = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/bot_test_{os.getpid()}"

__all__ = ["POSTGRES_ADMIN_URL", "POSTGRES_URL", "truncate"]


def truncate(engine) -> None:
    """Empty every table of the PostgreSQL database behind ``engine``, identities restarted."""
    tables = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
