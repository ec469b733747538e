"""Cadres act on cases by chat: accept, read, note, transfer, escalate, reclassify, resolve, list."""
from functools import wraps

from sqlalchemy import or_, select

from bot.cases import case_life
from bot.cases.filing import assign
from bot.cases.outbox import notify_event
from bot.cases.accused import accused, exclude, excluded_ids
from bot.cases.permissions import READ, can, handlers_of, not_about, readable, sees_complainant
from bot.cases.routing import is_township_level, route, township_handler
from bot.timefmt import left, short
from handlers.cases_common import action_label, find_case, split_args, state_label
from handlers.message import Message, Sender
from handlers.registry import CADRE_ROLES, Context, Registry
from models import Cadre, Case, CaseReporter, Escalation, Resident
from models.roster import served_villages

USAGE = {
    "accept": "接单 案件编号", "detail": "详情 案件编号", "note": "备注 案件编号 内容",
    "transfer": "转办 案件编号 姓名", "escalate": "上报 案件编号 理由", "reclassify": "改类 案件编号 类别",
    "resolve": "办结 案件编号 答复",
}


def register(registry: Registry) -> None:
    """Register the cadre commands (members, leaders, secretaries; supervisors may read)."""
    registry.command("接单", roles=CADRE_ROLES)(accept)
    registry.command("详情", roles=CADRE_ROLES)(detail)
    registry.command("备注", roles=CADRE_ROLES)(note)
    registry.command("转办", roles=CADRE_ROLES)(transfer)
    registry.command("上报", roles=CADRE_ROLES)(escalate)
    registry.command("改类", roles=CADRE_ROLES)(reclassify)
    registry.command("办结", roles=CADRE_ROLES)(resolve)
    registry.command("我的", roles=CADRE_ROLES)(my_cases)


def case_command(action: str, usage: str, needs_text: bool = False):
    """Parse ``N [text]``, find the case, check permission and state; pass (case, text, cadre)."""

    def decorator(handler):
        @wraps(handler)
        def wrapper(message: Message, sender: Sender, context: Context) -> str:
            number, text = split_args(context.args)
            if not number or (needs_text and not text):
                return context.text("case_usage", usage=USAGE[usage])
            case = find_case(context.session, number)
            cadre = context.session.get(Cadre, sender.cadre_id)
            if case is None or not readable(cadre, case):  # one answer: numbers reveal nothing
                return context.text("case_not_found", number=number)
            real_action = action(case, cadre) if callable(action) else action
            if not can(cadre, case, real_action):
                return context.text("case_refused", number=case.number)
            if real_action != READ and not case_life.allowed(case.state, real_action):
                return context.text("case_illegal", number=case.number, state=state_label(context, case.state),
                                    action=action_label(context, real_action))
            return handler(case, text, cadre, context)

        return wrapper

    return decorator


def _act(case: Case, action: str, cadre: Cadre, context: Context, note: str = "", data: dict | None = None):
    return case_life.apply(context.session, case, action, actor_kind="cadre", actor_id=cadre.id, now=context.now,
                           note=note, data=data)


@case_command("accept", "accept")
def accept(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Accept a case: the accepting cadre owns it to the end (首办责任制)."""
    entry = _act(case, "accept", cadre, context)
    case.owner = case.owner or cadre  # escalation and transfer back never change the first handler
    case.assignee = None
    case.accepted_at = case.accepted_at or context.now
    for reporter in _reporters(context.session, case):
        notify_event(context.session, entry, reporter, "accepted", context.text(
            "push_accepted", number=case.number, name=cadre.name, position=cadre.position, phone=cadre.phone),
            title=f"案件 {case.number} 已受理")
    return context.text("cadre_accepted", number=case.number, contact_due=short(case.contact_due_at),
                        resolve_due=short(case.resolve_due_at))


@case_command(READ, "detail")
def detail(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Show a case; the complainant of a complaint about village cadres only to its handler."""
    complainant = f"群众（微信尾号 {case.resident.openid[-4:]}）"
    return context.text(
        "cadre_detail", number=case.number, category=case.category, state=state_label(context, case.state),
        village=case.village.name, reporters=case.reporters, text=case.text,
        complainant=complainant if sees_complainant(cadre, case) else context.text("complainant_hidden"),
        owner=case.owner.name if case.owner else "—", assignee=case.assignee.name if case.assignee else "—",
        explanation="、".join(case.explanation) or "—", contact_due=short(case.contact_due_at),
        resolve_due=short(case.resolve_due_at))


@case_command("note", "note", needs_text=True)
def note(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Record a note; the first note on an accepted case marks it in progress."""
    action = "start" if case_life.allowed(case.state, "start") else "note"
    _act(case, action, cadre, context, note=text)
    return context.text("cadre_done", action="备注", number=case.number)


@case_command("transfer", "transfer", needs_text=True)
def transfer(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Hand a case on by name to a cadre who may take it (bot/cases/permissions.py); ask when several match."""
    name, _, hint = text.partition(" ")
    found = [c for c in handlers_of(context.session, case, context.config) if c.name == name]
    if hint.strip():
        found = [c for c in found if _matches(context.session, c, hint.strip())]
    if not found:
        return context.text("cadre_unknown_name", name=text)
    if len(found) > 1:
        lines = [context.text("cadre_choice_line", name=c.name, position=c.position or "—",
                              place=_place(context.session, c), tail=(c.phone or "")[-4:]) for c in found]
        return context.text("cadre_choose", count=len(found), name=name, number=case.number,
                            tail=(found[0].phone or "")[-4:], choices="\n".join(lines))
    target = found[0]
    case.owner = None if case.owner_id == cadre.id or cadre.role in ("leader", "secretary") else case.owner
    assign(context.session, case, target, context.config, context.now, actor=cadre, action="transfer",
           note=f"转给 {target.name}")
    return context.text("cadre_transferred", number=case.number, name=target.name)


def _place(session, cadre: Cadre) -> str:
    """Where a cadre serves, as a transfer choice names it: their villages, else their township."""
    villages = served_villages(session, cadre)
    if villages:
        return "、".join(v.name for v in villages[:2])
    return cadre.township.name if cadre.township else "—"


def _matches(session, cadre: Cadre, hint: str) -> bool:
    """Whether ``hint`` (a village, a position or the phone's last digits) picks this cadre."""
    return (hint.isdigit() and len(hint) >= 4 and (cadre.phone or "").endswith(hint)) or hint in (cadre.position or "") \
        or any(hint in (v.name, v.name.rstrip("村")) for v in served_villages(session, cadre))


def _escalation_action(case: Case, cadre: Cadre) -> str:
    return "escalate_county" if case.state == "escalated_township" and cadre.role == "secretary" else "escalate_township"


@case_command(_escalation_action, "escalate", needs_text=True)
def escalate(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Send a case up: to the township's special meeting, and (by the secretary) on to the county."""
    action = _escalation_action(case, cadre)
    level = "county" if action == "escalate_county" else "township"
    entry = _act(case, action, cadre, context, note=text)
    case.escalation = level
    handler = township_handler(context.session, case.village, context.config.get("routing")) if level == "township" else None
    context.session.add(Escalation(case=case, level=level, reason=text, by_id=cadre.id,
                                   handler_id=handler.id if handler else None, at=context.now))
    recipients = [handler] if handler else context.session.scalars(select(Cadre).where(
        Cadre.role == "supervisor", Cadre.county == case.village.township.county, Cadre.active.is_(True))).all()
    for recipient in recipients:
        notify_event(context.session, entry, recipient, "escalated", context.text(
            "push_escalated", number=case.number, category=case.category, village=case.village.name,
            by=cadre.name, reason=text), title=f"上报 {case.number}")
    return context.text("cadre_done", action=action_label(context, action), number=case.number)


@case_command("reclassify", "reclassify", needs_text=True)
def reclassify(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Correct the category (kept as a training label); an unaccepted case is routed anew.

    To a township-level category (干部作风): the complainant is hidden at once, the village's
    implied cadres are excluded, and a case held by an excluded cadre goes to the township.
    """
    categories = context.config["categories"]
    if text not in categories:
        return context.text("cadre_unknown_category", category=text, choices="、".join(categories))
    before = case.category
    _act(case, "reclassify", cadre, context, data={"from": before, "category": text})
    case.category = text
    if is_township_level(categories, text):
        case.hidden_complainant = True
        _, people = accused(context.session, case.village, case.text, text, context.config)
        exclude(context.session, case, people)
    away = excluded_ids(case)
    if case.owner_id in away:  # the accused never keeps a complaint about them
        case.owner = None
    if case.owner_id is None:
        target = route(context.session, case.village, text, context.config, exclude=away,
                       township=case.hidden_complainant)
        if target is not None and target.id != case.assignee_id:
            assign(context.session, case, target, context.config, context.now, actor=cadre, action="transfer",
                   note=f"改类后转给 {target.name}")
    return context.text("cadre_reclassified", number=case.number, category=text)


@case_command("resolve", "resolve", needs_text=True)
def resolve(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Resolve with an answer, which goes to every reporter."""
    entry = _act(case, "resolve", cadre, context, note=text)
    case.answer = text
    case.resolved_at = context.now
    for reporter in _reporters(context.session, case):
        # Only the first reporter is asked for the verdict; co-reporters get the answer.
        key = "push_answer" if reporter.id == case.resident_id else "push_answer_co"
        notify_event(context.session, entry, reporter, "answer",
                     context.text(key, number=case.number, answer=text), title=f"案件 {case.number} 已办结")
    return context.text("cadre_done", action="办结", number=case.number)


def my_cases(message: Message, sender: Sender, context: Context) -> str:
    """My open cases, oldest first, with the time left before they are due."""
    cases = context.session.scalars(select(Case).where(
        or_(Case.owner_id == sender.cadre_id, Case.assignee_id == sender.cadre_id),
        Case.state.in_(case_life.OPEN), not_about(sender.cadre_id)).order_by(Case.received_at).limit(20)).all()
    if not cases:
        return context.text("cadre_my_none")
    return "\n".join(context.text("cadre_my_line", number=c.number, category=c.category,
                                  state=state_label(context, c.state),
                                  left=left(c.resolve_due_at if c.owner_id else c.contact_due_at, context.now))
                     for c in cases)


def _reporters(session, case: Case):
    """Every resident who reported the case (the first one and co-reporters)."""
    return session.scalars(select(Resident).join(CaseReporter, CaseReporter.resident_id == Resident.id)
                           .where(CaseReporter.case_id == case.id).order_by(CaseReporter.id)).all()
