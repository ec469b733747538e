"""Alembic migrations build exactly the schema the models describe, on both databases."""
import ast
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import models
from bot.migrate import upgrade
from tests.databases import POSTGRES_ADMIN_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of each kind (a scratch PostgreSQL database, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"bot_migrations_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


VERSIONS = Path(models.__file__).parent / "migrations" / "versions"


def test_migrations_are_frozen_ddl_importing_nothing_of_the_live_code():
    imported = {(path.name, (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0])
                for path in VERSIONS.glob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert imported and {module for _, module in imported} <= {"alembic", "sqlalchemy"}, imported


def test_upgrade_matches_the_models(empty_database):
    upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrated_ledger_refuses_rewrites(empty_database):
    upgrade(empty_database)
    engine = create_engine(empty_database)
    now = datetime.now(timezone.utc)
    with Session(engine) as session, session.begin():
        village = models.Village(name="村", township=models.Township(name="镇"))
        resident = models.Resident(openid="o", village=village, pending_text="", pending_choices=[])
        case = models.Case(number="T-1", village=village, resident=resident, category="x",
                           contact_due_at=now, resolve_due_at=now)
        session.add(models.CaseEvent(case=case, actor_kind="system", action="receive"))
    for statement in ("UPDATE case_event SET note = 'x'", "DELETE FROM case_event"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    engine.dispose()
