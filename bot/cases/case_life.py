"""The case life, in one place: every move of a case, who may make it, and what it leaves behind.

One function per move a person makes (accept, transfer, escalate, resolve, close_unresolved,
confirm, reopen, recategorise, note; filing adds receive, assign, supplement, co_report). Each
locks the case for the transaction, checks its state and the actor's right, sets every field,
writes the ledger entry (``CaseEvent``) and the outbox rows (``Notification``) for everyone who
must hear of it, all in the caller's transaction; or it raises a ``CaseError`` saying why not,
having changed nothing. Handlers parse commands and phrase the outcome; they never touch a case.

``close_unresolved`` closes a case without solving it (out of scope, a duplicate, nobody to
reach): it ends the case (no reminders, off the open lists, no follow-up), the reporters are told
the reason, and the rates count it as due for resolution but never as resolved.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy import case as when

from bot.cases import ledger, permissions
from bot.cases.accused import accused, exclude, excluded_ids
from bot.cases.classifier import UNSORTED
from bot.cases.outbox import add, notify_event
from bot.cases.routing import county_supervisors, is_township_level, route_why, township_handler
from bot.media.attachments import track
from bot.timefmt import short
from models import Cadre, Case, CaseEvent, CaseReporter, Escalation, Resident
from models.api import STAND_IN_PREFIX
from models.base import UTCDateTime
from models.roster import OFFLINE
from models.case import DONE, ENDED, OPEN, STATES  # noqa: F401  the states' one definition, re-exported

# Someone has taken the case on and works on it.
HANDLING = frozenset({"accepted", "in_progress", "escalated_township", "escalated_county", "reopened"})


@dataclass(frozen=True)
class Move:
    """An action's allowed source states and its target (None: the state stays)."""

    sources: frozenset[str]
    target: str | None


# "closed is not fixed": closed_unresolved is a separate end state, never counted as resolved.
MOVES: dict[str, Move] = {
    "assign": Move(frozenset({"received"}), "assigned"),
    "supplement": Move(frozenset(OPEN), None),  # a later message from the resident, or a photo
    "co_report": Move(frozenset(OPEN), None),  # another villager reported the same problem
    "accept": Move(frozenset({"assigned", "transferred"}), "accepted"),
    "note": Move(frozenset(OPEN), None),
    "start": Move(frozenset({"accepted", "reopened"}), "in_progress"),
    "transfer": Move(frozenset({"assigned", "transferred"}) | HANDLING, "transferred"),
    "reclassify": Move(frozenset(OPEN), None),
    "escalate_township": Move(HANDLING - {"escalated_township", "escalated_county"}, "escalated_township"),
    "escalate_county": Move(frozenset({"escalated_township"}), "escalated_county"),
    "resolve": Move(HANDLING, "resolved"),
    "close_unresolved": Move(frozenset(OPEN), "closed_unresolved"),
    "close_request": Move(frozenset(OPEN), None),  # a member asks the leader to close (when configured)
    "reply": Move(frozenset(OPEN), None),  # the owner writes to the reporters (the answer ends it)
    "hand_over": Move(frozenset(OPEN), None),  # its cadre left the roster: the leader takes it
    "confirm": Move(frozenset({"resolved"}), "confirmed"),
    "reopen": Move(frozenset({"resolved", "confirmed"}), "reopened"),
}


class CaseError(Exception):
    """A move refused: which case, in which state, which action (the handler phrases it)."""

    def __init__(self, case: Case, action: str) -> None:
        super().__init__(f"{action} refused on case {case.number} in state {case.state}")
        self.number = case.number
        self.state = case.state
        self.action = action
        self.owner = case.owner.name if case.owner is not None else None  # who holds it ("已由 X 接单")


class IllegalMove(CaseError):
    """The action is not allowed in the case's current state."""


class NotAllowed(CaseError):
    """The actor has no right to take this action on this case."""


class UnknownCategory(CaseError):
    """Recategorising to a category the configuration does not have."""

    def __init__(self, case: Case, category: str) -> None:
        super().__init__(case, "reclassify")
        self.category = category


def allowed(state: str, action: str) -> bool:
    """Whether ``action`` may be taken in ``state``."""
    move = MOVES.get(action)
    return move is not None and state in move.sources


def apply(session, case: Case, action: str, *, actor_kind: str, actor_id: int | None, now: datetime,
          note: str = "", data: dict | None = None) -> CaseEvent:
    """Move ``case`` by ``action`` and append the ledger entry, or raise IllegalMove (no lock, no right)."""
    if not allowed(case.state, action):
        raise IllegalMove(case, action)
    before = case.state
    target = MOVES[action].target
    if target:
        case.state = target
    entry = CaseEvent(case=case, actor_kind=actor_kind, actor_id=actor_id, action=action, from_state=before,
                      to_state=case.state, note=note, data=data or {}, at=now)
    session.add(entry)
    return entry


def lock(session, case: Case) -> Case:
    """Re-read the case locked until the transaction ends, so two moves on one case take turns."""
    session.flush()  # nothing pending may be lost when the case is re-read
    case_id = case.id  # read before expiring: reading it after would reload the case before the lock
    session.expire(case)  # every field, owner and assignee included, loads afresh after the lock
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Case).where(Case.id == case_id).with_for_update())
    else:
        # SQLite has no row locks, and its deferred transactions let two readers race. A write takes
        # the database's write lock until commit (as BEGIN IMMEDIATE would), so the read after it
        # is the latest and no one else changes the case before we commit.
        session.execute(update(Case).where(Case.id == case_id).values(state=Case.state)
                        .execution_options(synchronize_session=False))
    return case


def _check(session, case: Case, cadre: Cadre, action: str) -> None:
    """Refuse unless the state allows ``action`` and ``cadre`` has the right to take it."""
    if not allowed(case.state, action):
        # Those who may see the village's cases learn why ("已由 X 接单"); others only that they may not.
        if permissions.readable(session, cadre, case):
            raise IllegalMove(case, action)
        raise NotAllowed(case, action)
    if not permissions.can(cadre, case, action):
        raise NotAllowed(case, action)


def check(session, case: Case, cadre: Cadre, action: str) -> None:
    """Refuse as the move would, without moving: for replies that only offer it (a bare 改类 N)."""
    _check(session, case, cadre, action)


def _step(session, case: Case, cadre: Cadre, action: str, now: datetime, note: str = "",
          data: dict | None = None) -> CaseEvent:
    """Lock, check, and move the case by a cadre's action."""
    lock(session, case)
    _check(session, case, cadre, action)
    return apply(session, case, action, actor_kind="cadre", actor_id=cadre.id, now=now, note=note, data=data)


def reporters(session, case: Case) -> list[Resident]:
    """Every resident who reported the case (the first one and co-reporters), in the order they came."""
    return session.scalars(select(Resident).join(CaseReporter, CaseReporter.resident_id == Resident.id)
                           .where(CaseReporter.case_id == case.id).order_by(CaseReporter.id)).all()


def _tell_reporters(session, entry: CaseEvent, kind: str, content: str, title: str) -> int:
    """One push per reporter who has WeChat about one ledger entry; how many were written."""
    told = 0
    for resident in reporters(session, entry.case):
        if resident.reachable:  # a 代录 reporter is told by the cadre in person
            told += notify_event(session, entry, resident, kind, content, title=title) is not None
    return told


def case_fields(case: Case) -> dict:
    """What every push about a case says: number, village, category, the text's start, the due time."""
    return push_fields(case.number, case.village.name, case.category, case.text, case.due_at)


def push_fields(number: str, village: str, category: str, text: str, due: datetime) -> dict:
    """``case_fields`` from the values themselves (a case just written, not loaded)."""
    text = " ".join(text.split())
    return {"number": number, "village": village, "category": category,
            "excerpt": text if len(text) <= 80 else text[:79] + "…", "due": short(due)}


_EVENTS = CaseEvent.__table__
# Core on the table, built once: 详情 reads it for every case it shows.
_LATEST_ROUTING = (select(_EVENTS.c.data, _EVENTS.c.note)
                   .where(_EVENTS.c.case_id == bindparam("case"),
                          _EVENTS.c.action.in_(("assign", "transfer", "hand_over")))
                   .order_by(_EVENTS.c.id.desc()).limit(1))


def routing_reason(session, case: Case) -> str:
    """Why the case went to whom it went to: the reason of its latest assign or transfer entry."""
    session.flush()  # as the ORM's autoflush would: an entry just added in this session counts
    data, note = session.connection().execute(_LATEST_ROUTING, {"case": case.id}).first() or ({}, "")
    return (data or {}).get("why") or note


# Filing's moves (bot/cases/filing.py decides which; these record them).

def remark(session, case: Case, action: str, *, actor_kind: str, actor_id: int | None, now: datetime,
           note: str = "", data: dict | None = None) -> CaseEvent:
    """A ledger entry that moves nothing, in any state (e.g. ``media_failed``: an attachment was lost)."""
    entry = CaseEvent(case=case, actor_kind=actor_kind, actor_id=actor_id, action=action, from_state=case.state,
                      to_state=case.state, note=note, data=data or {}, at=now)
    session.add(entry)
    return entry


def receive(session, case: Case, *, now: datetime, resident_id: int | None = None, actor_kind: str = "resident",
            actor_id: int | None = None, data: dict | None = None, by: Cadre | None = None) -> CaseEvent:
    """The first ledger entry of a case: received from a resident, from a client system (``actor_kind='api'``),
    or recorded for a resident by a cadre (代录, ``by``)."""
    if by is not None:
        actor_kind, actor_id, data = "cadre", by.id, {"for": resident_id}
    entry = CaseEvent(case=case, actor_kind=actor_kind, actor_id=resident_id if actor_id is None else actor_id,
                      action="receive", from_state="", to_state=case.state, note=case.text, data=data or {}, at=now)
    session.add(entry)
    return entry


def assign(session, case: Case, cadre: Cadre | None, config: dict, now: datetime, actor: Cadre | None = None,
           action: str = "assign", note: str = "", why: str = "") -> CaseEvent:
    """Route the case to ``cadre`` (assign, or transfer) and tell them (no lock, no right: callers do)."""
    case.assignee = cadre
    data = ({"to": cadre.id} if cadre else {}) | ({"why": why} if why else {})
    entry = apply(session, case, action, actor_kind="cadre" if actor else "system",
                  actor_id=actor.id if actor else None, now=now, note=note, data=data)
    if cadre is not None:
        content, title = assign_push(config["texts"], case_fields(case), case.kind, case.text, case.suggested,
                                     by=actor.name if action == "transfer" and actor is not None else None)
        notify_event(session, entry, cadre, "new_case", content, title=title)
    return entry


def assign_push(texts: dict, fields: dict, kind: str, text: str, suggested, by: str | None = None) -> tuple[str, str]:
    """The new-case (or inquiry, or transfer by ``by``) push to its assignee: content and title."""
    key, title = (("push_transferred", "转办给您") if by is not None else
                  ("push_new_inquiry", "群众咨询") if kind == "inquiry" else ("push_new_case", "新案件"))
    content = texts[key].format(**fields, text=text[:200], by=by or "")
    if suggested and fields["category"] == UNSORTED:  # 待分类: offer the classifier's two likeliest
        content += "\n" + texts["push_new_case_unsorted"].format(number=fields["number"], choices="、".join(suggested))
    return content, f"{title} {fields['village']}·{fields['category']}"


def supplement(session, case: Case, resident: Resident, text: str, media: list[dict], now: datetime) -> CaseEvent:
    """Add a further message or attachment of the reporter to their open case."""
    lock(session, case)
    if not allowed(case.state, "supplement"):
        raise IllegalMove(case, "supplement")
    if text:
        case.text = f"{case.text}\n{text}" if case.text else text
    if media:
        case.media = [*case.media, *media]
        track(session, case.id, media, now)  # photos and voice are copied out of WeChat by the worker
    case.updated_at = now
    return apply(session, case, "supplement", actor_kind="resident", actor_id=resident.id, now=now, note=text,
                 data={"media": media} if media else None)


_CASE = Case.__table__
_LINE = bindparam("line", type_=Text())
# A text supplement in one UPDATE: it takes the row lock (as ``lock`` does), checks the state and
# appends, and RETURNING gives the state the ledger entry records.
_APPEND = (_CASE.update().where(_CASE.c.id == bindparam("case"), _CASE.c.state.in_(MOVES["supplement"].sources))
           .values(text=when((_CASE.c.text == "", _LINE), else_=_CASE.c.text + "\n" + _LINE),
                   updated_at=bindparam("now", type_=UTCDateTime())).returning(_CASE.c.state))


def append(session, case_id: int, resident_id: int, text: str, now: datetime) -> bool:
    """``supplement`` of a text, without loading the case: False (nothing changed) when it is no longer open."""
    state = session.connection().execute(_APPEND, {"case": case_id, "line": text, "now": now}).scalar()
    if state is None:
        return False
    loaded = session.identity_map.get(session.identity_key(Case, case_id))
    if loaded is not None:
        session.expire(loaded, ["text", "updated_at"])  # a loaded copy reads the row afresh
    ledger.entries(session, [ledger.entry(case_id, "supplement", state, state, actor_kind="resident",
                                          actor_id=resident_id, now=now, note=text)])
    return True


def co_report(session, case: Case, resident: Resident, text: str, now: datetime,
              actor: tuple | None = None) -> CaseEvent:
    """Join another villager's report of the same problem to the open case (``actor``: kind, id, data)."""
    lock(session, case)
    if not allowed(case.state, "co_report"):
        raise IllegalMove(case, "co_report")
    if session.scalar(select(CaseReporter.id).where(CaseReporter.case_id == case.id,
                                                    CaseReporter.resident_id == resident.id)) is None:
        session.add(CaseReporter(case=case, resident=resident, text=text, joined_at=now))
        case.reporters += 1
    kind, actor_id, data = actor or ("resident", resident.id, None)
    return apply(session, case, "co_report", actor_kind=kind, actor_id=actor_id, now=now, note=text, data=data)


# Cadres' moves.

_ACCEPT = (_CASE.update().where(_CASE.c.id == bindparam("case"))
           .values(state=bindparam("target"), owner_id=bindparam("owner"), assignee_id=None,
                   accepted_at=bindparam("accepted", type_=UTCDateTime())))
_REPORTER_TABLE, _RESIDENT_TABLE = CaseReporter.__table__, Resident.__table__
# The reporters a push about the case reaches: not a 代录 reporter (told in person), not a client
# system's stand-in (it hears by webhook), in the order they came.
_REACHABLE_REPORTERS = (select(_RESIDENT_TABLE.c.id)
                        .join(_REPORTER_TABLE, _REPORTER_TABLE.c.resident_id == _RESIDENT_TABLE.c.id)
                        .where(_REPORTER_TABLE.c.case_id == bindparam("case"),
                               _RESIDENT_TABLE.c.openid.not_like(f"{OFFLINE}%"),
                               _RESIDENT_TABLE.c.openid.not_like(f"{STAND_IN_PREFIX}%"))
                        .order_by(_REPORTER_TABLE.c.id))


def accept(session, case: Case, cadre: Cadre, config: dict, now: datetime) -> CaseEvent:
    """Accept a case: the first to accept owns it to the end (首办责任制); the reporters are told who.

    The hot one of the cadres' moves: locked and checked as every move is, then written as one
    UPDATE, one ledger INSERT and the reporters' pushes (cached Core statements, no flush). The
    entry returned is not in the session (it is written already).
    """
    lock(session, case)
    _check(session, case, cadre, "accept")
    before, target = case.state, MOVES["accept"].target
    owner = case.owner or cadre  # escalation and transfer back never change the first handler
    accepted = case.accepted_at or now
    db = session.connection()
    db.execute(_ACCEPT, {"case": case.id, "target": target, "owner": owner.id, "accepted": accepted})
    for key, value in (("state", target), ("owner_id", owner.id), ("owner", owner), ("assignee_id", None),
                       ("assignee", None), ("accepted_at", accepted)):
        set_committed_value(case, key, value)  # the loaded case as the row now is, nothing left to flush
    [entry_id] = ledger.entries(session, [ledger.entry(case.id, "accept", before, target, actor_kind="cadre",
                                                       actor_id=cadre.id, now=now)])
    content = config["texts"]["push_accepted"].format(number=case.number, name=cadre.name, position=cadre.position,
                                                      phone=cadre.phone)
    for resident_id in db.execute(_REACHABLE_REPORTERS, {"case": case.id}).scalars():
        add(session, f"case_event:{entry_id}", "resident", resident_id, "accepted", content, case_id=case.id,
            title=f"案件 {case.number} 已受理", urgent=case.urgent)
    return CaseEvent(id=entry_id, case_id=case.id, actor_kind="cadre", actor_id=cadre.id, action="accept",
                     from_state=before, to_state=target, note="", data={}, at=now)


def note(session, case: Case, cadre: Cadre, text: str, now: datetime) -> CaseEvent:
    """Record a note; the first note on an accepted (or reopened) case marks it in progress."""
    lock(session, case)
    action = "start" if allowed(case.state, "start") else "note"
    _check(session, case, cadre, action)
    return apply(session, case, action, actor_kind="cadre", actor_id=cadre.id, now=now, note=text)


def transfer(session, case: Case, cadre: Cadre, target: Cadre, config: dict, now: datetime,
             note: str = "") -> CaseEvent:
    """Hand a case to another cadre (the assignee before acceptance, or a leader or secretary any time)."""
    lock(session, case)
    _check(session, case, cadre, "transfer")
    if not permissions.may_handle(session, target, case, config):  # the township's teams, never the accused
        raise NotAllowed(case, "transfer")
    if case.owner_id == cadre.id or cadre.role in permissions.MANAGERS:
        case.owner = None  # the new assignee accepts and owns it
    return assign(session, case, target, config, now, actor=cadre, action="transfer",
                  note=note or f"转给 {target.name}")


def escalate(session, case: Case, cadre: Cadre, reason: str, config: dict, now: datetime) -> CaseEvent:
    """Send a case up: to the township's special meeting, and (by the secretary) on to the county."""
    lock(session, case)
    county = case.state == "escalated_township" and cadre.role == "secretary"
    action, level = ("escalate_county", "county") if county else ("escalate_township", "township")
    _check(session, case, cadre, action)
    entry = apply(session, case, action, actor_kind="cadre", actor_id=cadre.id, now=now, note=reason)
    case.escalation = level
    handler = township_handler(session, case.village, config.get("routing")) if level == "township" else None
    session.add(Escalation(case=case, level=level, reason=reason, by_id=cadre.id,
                           handler_id=handler.id if handler else None, at=now))
    content = config["texts"]["push_escalated"].format(**case_fields(case), by=cadre.name, reason=reason)
    for recipient in [handler] if handler else county_supervisors(session, case.village):
        notify_event(session, entry, recipient, "escalated", content, title=f"上报：{reason}")
    return entry


def recategorise(session, case: Case, cadre: Cadre, category: str, config: dict, now: datetime) -> CaseEvent:
    """Correct the category (kept as a training label); an unaccepted case is routed anew.

    To a township-level category (干部作风): the complainant is hidden at once, the village's implied
    cadres are excluded, and a case held by an excluded cadre goes to the township.
    """
    lock(session, case)
    _check(session, case, cadre, "reclassify")
    if category not in config["categories"]:
        raise UnknownCategory(case, category)
    entry = apply(session, case, "reclassify", actor_kind="cadre", actor_id=cadre.id, now=now,
                  data={"from": case.category, "category": category})
    case.category = category
    if is_township_level(config["categories"], category):
        case.hidden_complainant = True
        exclude(session, case, accused(session, case.village_id, case.text, category, config)[1])
    away = excluded_ids(case)
    if case.owner_id in away:  # the accused never keeps a complaint about them
        case.owner = None
    if case.owner_id is None:
        routed = route_why(session, case.village_id, category, config, exclude=away, township=case.hidden_complainant)
        target = session.get(Cadre, routed.cadre.id) if routed.cadre is not None else None
        if target is not None and target.id != case.assignee_id:
            action = "assign" if case.state == "received" else "transfer"  # a case nobody had yet is assigned
            assign(session, case, target, config, now, actor=cadre, action=action, note=f"改类后转给 {target.name}",
                   why=routed.reason)
    return entry


def resolve(session, case: Case, cadre: Cadre, answer: str, config: dict, now: datetime) -> CaseEvent:
    """Resolve with an answer, which goes to every reporter."""
    entry = _step(session, case, cadre, "resolve", now, note=answer)
    case.answer = answer
    case.resolved_at = now
    for resident in reporters(session, case):
        # Only the first reporter is asked for the verdict; co-reporters get the answer.
        key = "push_answer" if permissions.gives_verdict(case, resident.id) else "push_answer_co"
        notify_event(session, entry, resident, "answer", config["texts"][key].format(number=case.number, answer=answer),
                     title=f"案件 {case.number} 已办结")
    return entry


def answer_inquiry(session, case: Case, cadre: Cadre, answer: str, config: dict, now: datetime) -> CaseEvent:
    """Answer an inquiry (咨询): taken (first handler) and resolved in one step; the reporters get the answer."""
    lock(session, case)
    if allowed(case.state, "accept"):
        _check(session, case, cadre, "accept")
        apply(session, case, "accept", actor_kind="cadre", actor_id=cadre.id, now=now)
        case.owner = case.owner or cadre
        case.assignee = None
        case.accepted_at = case.accepted_at or now
    _check(session, case, cadre, "resolve")
    entry = apply(session, case, "resolve", actor_kind="cadre", actor_id=cadre.id, now=now, note=answer)
    case.answer = answer
    case.resolved_at = now
    _tell_reporters(session, entry, "answer", config["texts"]["push_inquiry_answer"].format(
        number=case.number, answer=answer, name=cadre.name, position=cadre.position), title=f"咨询 {case.number} 已答复")
    return entry


def close_unresolved(session, case: Case, cadre: Cadre, reason: str, config: dict, now: datetime) -> CaseEvent:
    """Close without solving, with the reason: the reporters are told, and the handler if someone else closed it."""
    entry = _step(session, case, cadre, "close_unresolved", now, note=reason)
    case.answer = reason
    texts = config["texts"]
    _tell_reporters(session, entry, "closed", texts["push_closed"].format(number=case.number, reason=reason),
                    title=f"案件 {case.number} 已关闭")
    handler = case.owner or case.assignee
    if handler is not None and handler.id != cadre.id:
        notify_event(session, entry, handler, "closed", texts["push_closed_cadre"].format(
            number=case.number, name=cadre.name, reason=reason), title=f"关闭 {case.number}")
    return entry


def request_close(session, case: Case, cadre: Cadre, reason: str, config: dict, now: datetime) -> CaseEvent:
    """Ask the team leader to close without solving (when closing needs the leader's approval)."""
    entry = _step(session, case, cadre, "close_request", now, note=reason)
    leader = case.village.team.leader if case.village.team else None
    if leader is None or not leader.active:
        leader = township_handler(session, case.village, config.get("routing"))
    if leader is not None:
        notify_event(session, entry, leader, "close_request", config["texts"]["push_close_request"].format(
            **case_fields(case), name=cadre.name, reason=reason), title=f"申请关闭：{reason}")
    return entry


def needs_approval(config: dict, cadre: Cadre) -> bool:
    """Whether this cadre's 关闭 is only a request to the leader (config: cases.close_needs_approval)."""
    return bool(config["cases"].get("close_needs_approval")) and cadre.role not in permissions.MANAGERS


def reply(session, case: Case, cadre: Cadre, text: str, config: dict, now: datetime) -> tuple[CaseEvent, int]:
    """The owner writes to the case's reporters; the entry, and how many reporters it reaches by WeChat."""
    entry = _step(session, case, cadre, "reply", now, note=text)
    told = _tell_reporters(session, entry, "reply", config["texts"]["push_reply"].format(
        number=case.number, name=cadre.name, text=text), title=f"{cadre.name}回复您")
    return entry, told


def hand_over(session, case: Case, gone: Cadre, to: Cadre, now: datetime) -> CaseEvent:
    """A cadre left the roster: ``to`` takes their place on the open case (owner or assignee)."""
    lock(session, case)
    entry = apply(session, case, "hand_over", actor_kind="system", actor_id=None, now=now,
                  note=f"{gone.name} 已不在名单，移交 {to.name}", data={"from": gone.id, "to": to.id})
    if case.owner_id == gone.id:
        case.owner = to
    if case.assignee_id == gone.id:
        case.assignee = to
    return entry


# Residents' moves: their verdict on the answer.

def _reporter(session, case: Case, resident: Resident, action: str) -> CaseReporter:
    """Lock the case and return the resident's reporter row; only reporters give a verdict."""
    lock(session, case)
    row = session.scalar(select(CaseReporter).where(CaseReporter.case_id == case.id,
                                                    CaseReporter.resident_id == resident.id))
    if row is None or not permissions.gives_verdict(case, resident.id):
        raise NotAllowed(case, action)
    return row


def confirm(session, case: Case, resident: Resident, now: datetime) -> CaseEvent:
    """A reporter is satisfied with the answer: the case is done."""
    row = _reporter(session, case, resident, "confirm")
    entry = apply(session, case, "confirm", actor_kind="resident", actor_id=resident.id, now=now)
    row.verdict = "satisfied"
    case.confirmed_at = now
    return entry


def reopen(session, case: Case, resident: Resident, reason: str, config: dict, now: datetime) -> CaseEvent:
    """A reporter is not satisfied: the case reopens to the same owner, who is told why."""
    row = _reporter(session, case, resident, "reopen")
    entry = apply(session, case, "reopen", actor_kind="resident", actor_id=resident.id, now=now, note=reason)
    row.verdict = "unsatisfied"
    case.reopened += 1
    case.confirmed_at = None
    if case.owner is not None:
        notify_event(session, entry, case.owner, "reopened", config["texts"]["push_reopened"].format(
            **case_fields(case), reason=reason), title=f"群众不满意：{reason}")
    return entry
