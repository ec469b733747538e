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

from sqlalchemy import Boolean, Integer, String, Text, bindparam, text

from bot.cases.outbox import add, title_line
from models import Case, CaseCounter, CaseEvent, CaseExclusion, CaseReporter, utcnow
from models.base import UTCDateTime

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
_COUNTER = text("INSERT INTO case_counter (township_id, year, last) VALUES (:township, :year, 0)"
                " ON CONFLICT DO NOTHING")


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


def entry(case_id: int | None, action: str, from_state: str, to_state: str, *, actor_kind: str, actor_id: int | None,
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



_CASE_COLUMNS = ("number", "village_id", "resident_id", "text", "media", "words", "category", "kind", "confidence",
                 "explanation", "suggested", "state", "assignee_id", "hidden_complainant", "urgent", "escalation",
                 "reporters", "reopened", "answer", "received_at", "updated_at", "contact_due_at", "resolve_due_at")
_ENTRY_COLUMNS = ("actor_kind", "actor_id", "action", "from_state", "to_state", "note", "data")
# PostgreSQL writes a new case in one statement: the case, its reporter, its receive and assign
# entries (in that order: ids follow the ledger) and the assignee's push, whose source is the assign
# entry's id. Its data-modifying CTEs all see the case's id; nothing else runs in between.
_OPEN_PG = text(
    'WITH c AS (INSERT INTO "case" (' + ", ".join(_CASE_COLUMNS) + ") VALUES ("
    + ", ".join(f":{name}" for name in _CASE_COLUMNS) + ") RETURNING id),"
    " r AS (INSERT INTO case_reporter (case_id, resident_id, text, joined_at, verdict)"
    " SELECT id, :resident_id, :text, :received_at, '' FROM c),"
    " e AS (INSERT INTO case_event (case_id, " + ", ".join(_ENTRY_COLUMNS) + ", at)"
    " SELECT c.id, " + ", ".join(f"v.{name}" for name in _ENTRY_COLUMNS) + ", :received_at FROM c,"
    " (VALUES (1, " + ", ".join(f":e1_{name}" for name in _ENTRY_COLUMNS) + "),"
    " (2, " + ", ".join(f":e2_{name}" for name in _ENTRY_COLUMNS) + ")) AS v(n, " + ", ".join(_ENTRY_COLUMNS) + ")"
    " ORDER BY v.n RETURNING id),"
    " p AS (INSERT INTO notification (source, recipient_kind, recipient_id, kind, case_id, title, content, urgent,"
    " state, attempts, last_error, channel, created_at, next_attempt_at)"
    " SELECT 'case_event:' || last.id, 'cadre', :push_to, :push_kind, c.id, :push_title, :push_content,"
    " :urgent, 'pending', 0, '', '', :push_at, :push_at FROM (SELECT max(id) AS id FROM e) AS last, c WHERE :push"
    " ON CONFLICT (source, recipient_kind, recipient_id) DO NOTHING)"
    " SELECT c.id, (SELECT min(id) FROM e), (SELECT max(id) FROM e) FROM c"
).bindparams(*(bindparam(c.name, type_=CASE.c[c.name].type) for c in CASE.columns if c.name in _CASE_COLUMNS),
             *(bindparam(f"e{n}_{name}", type_=EVENT.c[name].type) for n in (1, 2) for name in _ENTRY_COLUMNS),
             bindparam("push_to", type_=Integer()), bindparam("push_kind", type_=String()),
             bindparam("push_title", type_=String()), bindparam("push_content", type_=Text()),
             bindparam("push_at", type_=UTCDateTime()), bindparam("push", type_=Boolean()))


def open_case(session, case: dict, first: tuple[dict, dict], push: dict | None) -> tuple[int, list[int]]:
    """Write a new case with its first reporter, its two first ledger entries (``entry`` rows without a case)
    and ``push`` about the second (recipient ``to``, ``kind``, ``title``, ``content``); its id and the entries'."""
    db = connection(session)
    if db.dialect.name == "postgresql":
        params = dict(case, push=push is not None, push_at=utcnow(), push_to=None, push_kind="", push_title="",
                      push_content="")
        if push is not None:
            params.update(push_to=push["to"], push_kind=push["kind"], push_title=title_line(push["title"]),
                          push_content=push["content"])
        for n, row in enumerate(first, 1):
            params.update({f"e{n}_{name}": row[name] if name != "data" else row[name] or {} for name in _ENTRY_COLUMNS})
        case_id, *ids = db.execute(_OPEN_PG, params).one()
        session.info.setdefault(PENDING, []).extend(ids)
        return case_id, ids
    # Elsewhere (SQLite: in process, no round trips to save) one statement per table.
    case_id = new_case(session, case)
    reporter(session, case_id, case["resident_id"], case["text"], case["received_at"])
    ids = entries(session, [dict(row, case_id=case_id) for row in first])
    if push is not None:
        add(session, f"case_event:{ids[-1]}", "cadre", push["to"], push["kind"], push["content"], case_id=case_id,
            title=push["title"], urgent=case["urgent"])
    return case_id, ids
