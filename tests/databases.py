"""Where the tests' databases and Redis are, and how a PostgreSQL one is emptied between tests."""
import os

from sqlalchemy import text

import models

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each test run gets databases of its own, so runs side by side never see each other's rows.
POSTGRES_URL = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/bot_test_{os.getpid()}"
# Under pytest-xdist each worker gets its own Redis database; a plain run picks one by pid.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_REDIS_DB = 1 + (int(_WORKER[2:]) if _WORKER.startswith("gw") else os.getpid()) % 14
REDIS_URL = os.environ.get("TEST_REDIS_URL", os.environ.get("TEST_REDIS_BASE", "redis://127.0.0.1:6379") + f"/{_REDIS_DB}")


def truncate(engine) -> None:
    """Empty every table of the PostgreSQL database behind ``engine``, identities restarted."""
    tables = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
