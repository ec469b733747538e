"""The hot paths' writes: a case's rows as a few cached Core statements, no unit of work.

A complaint that opens a case, a supplement and 接单 write the case, its reporter, its ledger
entries and its outbox rows here, in the caller's transaction, on the session's
connection: each statement is built once per process and compiled once (SQLAlchemy's cache), ids
come back by RETURNING, and several rows of one table go as one INSERT (insertmanyvalues). The ORM
stays for the rare moves, whose flush writes the same rows.

Ledger entries written here are noted for webhook subscribers as a flush notes them
(bot/api/events.py reads ``PENDING`` before the commit), so every entry still becomes an event.
"""
from datetime import datetime

from sqlalchemy import bindparam, text

from models import Case, CaseCounter, CaseEvent, CaseExclusion, CaseReporter

PENDING = "api_case_events"  # key in Session.info: ids of ledger entries written, not yet committed

CASE = Case.__table__
EVENT = CaseEvent.__table__
REPORTER = CaseReporter.__table__
EXCLUSION = CaseExclusion.__table__
COUNTER = CaseCounter.__table__

_NEW_CASE = CASE.insert().returning(CASE.c.id)
_ENTRIES = EVENT.insert().returning(EVENT.c.id, sort_by_parameter_order=True)
_REPORTER = REPORTER.insert()
_EXCLUSIONS = EXCLUSION.insert()
# One UPDATE ... RETURNING: the row lock makes concurrent filings in a township take turns.
_BUMP = (COUNTER.update().where(COUNTER.c.township_id == bindparam("township"), COUNTER.c.year == bindparam("in_year"))
         .values(last=COUNTER.c.last + 1).returning(COUNTER.c.last))
# The township's first case of a year: the same SQL on both databases; a concurrent first filing wins.
_COUNTER = text("INSERT INTO case_counter (township_id, year, last) VALUES (:township, :year, 0) ON CONFLICT DO NOTHING")


def connection(session):
    """The session's connection in its transaction: Core statements run here skip the ORM's execute."""
    return session.connection()


def number(session, township_id: int, code: str, now: datetime) -> str:
    """The township's next readable case number, e.g. JH-2026-00123."""
    db = connection(session)
    last = db.execute(_BUMP, {"township": township_id, "in_year": now.year}).scalar()
    if last is None:  # the township's first case this year
        db.execute(_COUNTER, {"township": township_id, "year": now.year})
        last = db.execute(_BUMP, {"township": township_id, "in_year": now.year}).scalar()
    return f"{code or f'T{township_id}'}-{now.year}-{last:05d}"


def new_case(session, row: dict) -> int:
    """Insert a case's row (every column given); its id."""
    return connection(session).execute(_NEW_CASE, row).scalar_one()


def entry(case_id: int, action: str, from_state: str, to_state: str, *, actor_kind: str, actor_id: int | None,
          now: datetime, note: str = "", data: dict | None = None) -> dict:
    """One ledger entry's row, to write with ``entries``."""
    return {"case_id": case_id, "actor_kind": actor_kind, "actor_id": actor_id, "action": action,
            "from_state": from_state, "to_state": to_state, "note": note, "data": data or {}, "at": now}


def entries(session, rows: list[dict]) -> list[int]:
    """Append ledger entries (one INSERT); their ids in order, noted for webhook subscribers."""
    ids = list(connection(session).execute(_ENTRIES, rows).scalars())
    session.info.setdefault(PENDING, []).extend(ids)
    return ids


def reporter(session, case_id: int, resident_id: int, text: str, now: datetime) -> None:
    """A case's reporter row."""
    connection(session).execute(_REPORTER, {"case_id": case_id, "resident_id": resident_id, "text": text,
                                            "joined_at": now, "verdict": ""})


def exclusions(session, case_id: int, cadre_ids) -> None:
    """Keep ``cadre_ids`` away from a new case (bot/cases/accused.py)."""
    rows = [{"case_id": case_id, "cadre_id": cadre_id} for cadre_id in dict.fromkeys(cadre_ids)]
    if rows:
        connection(session).execute(_EXCLUSIONS, rows)

