"""Cadres act on cases by chat: accept, read, note, transfer, escalate, reclassify, resolve, list."""
import math
from functools import wraps

from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import joinedload

from bot.cases import case_life
from bot.cases.case_life import CaseError
from bot.cases.filing import file_for
from bot.cases.permissions import READ, can, handlers_of, readable, sees_complainant, sees_phone
from bot.media.attachments import attachments, link_token
from bot.reports.weekly import scope_villages_named
from bot.timefmt import left, short
from handlers.cases_common import PHONE, action_label, pick_case, refusal, split_args, state_label
from handlers.message import Message, Sender
from handlers.registry import CADRE_ROLES, Context, Registry
from models import Cadre, Case, CaseExclusion, Village
from models.case import ENDED
from models.api import STAND_IN_PREFIX, hotline_callers
from models.roster import served_villages

USAGE = {
    "accept": "接单 案件编号", "detail": "详情 案件编号", "note": "备注 案件编号 内容",
    "transfer": "转办 案件编号 姓名", "escalate": "上报 案件编号 理由", "reclassify": "改类 案件编号 类别",
    "resolve": "办结 案件编号 答复", "answer": "答复 咨询编号 内容", "close": "关闭 案件编号 理由",
    "reply": "回复 案件编号 内容", "phone": "电话 案件编号",
}


CASES, EXCLUSIONS = Case.__table__, CaseExclusion.__table__
# 我的, the commonest cadre read: one Core statement built once, the page and the total together.
MINE = (select(CASES.c.number, CASES.c.category, CASES.c.state, CASES.c.accepted_at, CASES.c.contact_due_at,
               CASES.c.resolve_due_at, func.count().over().label("total"))
        .where(or_(CASES.c.owner_id == bindparam("cadre"), CASES.c.assignee_id == bindparam("cadre")),
               CASES.c.state.not_in(ENDED),
               ~exists().where(EXCLUSIONS.c.case_id == CASES.c.id, EXCLUSIONS.c.cadre_id == bindparam("cadre")))
        .order_by(CASES.c.received_at, CASES.c.id).offset(bindparam("skip")).limit(bindparam("size")))


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
    registry.command("答复", roles=CADRE_ROLES)(answer)
    registry.command("关闭", roles=CADRE_ROLES)(close)
    registry.command("回复", roles=CADRE_ROLES)(reply)
    registry.command("电话", roles=CADRE_ROLES)(phone)
    registry.command("代录", roles={"member", "leader", "secretary"})(record)


# What every case command reads of a case (its permissions look at the village's team), loaded with it.
WITH_CASE = (joinedload(Case.village).joinedload(Village.team), joinedload(Case.resident),
             joinedload(Case.owner), joinedload(Case.assignee), joinedload(Case.exclusions))


def case_command(usage: str, needs_text: bool = False, reads: bool = False):
    """Parse ``N [text]`` and find the case; pass (case, text, cadre); phrase a refused move.

    ``reads``: the handler only reads, so the cadre is the roster facts' (bot/roster/facts.py: the
    same id, role and scope the permissions look at), not a row loaded per message.
    """

    def decorator(handler):
        @wraps(handler)
        def wrapper(message: Message, sender: Sender, context: Context) -> str:
            number, text = split_args(context.args)
            if not number or (needs_text and not text):
                return context.text("case_usage", usage=USAGE[usage])
            if reads and context.runtime is not None:
                cadre = context.runtime.facts.cadre_by_id(context.session, sender.cadre_id)
            else:
                cadre = context.session.get(Cadre, sender.cadre_id)
            # Also by last digits; one answer for unknown and not-yours: numbers reveal nothing.
            case, problem = pick_case(context, number, lambda c: readable(context.session, cadre, c), WITH_CASE)
            if case is None or not readable(context.session, cadre, case):
                return problem or context.text("case_not_found", number=number)
            try:
                return handler(case, text, cadre, context)
            except CaseError as error:
                return refusal(context, error)

        return wrapper

    return decorator


@case_command("accept")
def accept(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Accept a case: the accepting cadre owns it to the end (首办责任制)."""
    case_life.accept(context.session, case, cadre, context.config, context.now)
    return context.text("cadre_accepted", number=case.number, contact_due=short(case.contact_due_at),
                        resolve_due=short(case.resolve_due_at))


def _attachments(case: Case, context: Context) -> str:
    """One line per photo, voice, video and location of the case, with a link to open it."""
    if not case.media:
        return ""  # nothing attached: no need to look for files
    base = context.runtime.dashboard_url.rstrip("/")
    lines = []
    for item in attachments(context.session, case, context.config["labels"]):
        if item["kind"] == "location":
            lines.append(context.text("attachment_location", label=item["label"], url=item["map"]))
            continue
        stored = item["file"] is not None and item["file"].state == "stored"
        token = link_token(context.runtime, item["file"].id) if stored else None
        lines.append(context.text("attachment_line", kind=item["label"],
                                  where=f"{base}/dashboard/m/{token}" if token else item["state"]))
    return "\n" + context.text("attachments", lines="\n".join(lines)) if lines else ""


@case_command("detail", reads=True)
def detail(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Show a case; the complainant of a complaint about village cadres only to its handler."""
    if not can(cadre, case, READ):
        return context.text("case_refused", number=case.number)
    resident = case.resident
    complainant = f"群众（微信尾号 {resident.openid[-4:]}）" if resident.reachable else f"{resident.name}（代录）"
    if resident.openid.startswith(STAND_IN_PREFIX):  # filed through the open API: whom to call back
        complainant = "；".join(context.text("complainant_hotline", client=call.client.name,
                                             caller=call.caller_name or "—", phone=call.caller_phone or "—")
                               for call in hotline_callers(context.session, case.id))
    reply = context.text(
        "cadre_detail", number=case.number, category=case.category, state=state_label(context, case.state),
        village=case.village.name, reporters=case.reporters, text=case.text,
        complainant=complainant if sees_complainant(cadre, case) else context.text("complainant_hidden"),
        owner=case.owner.name if case.owner else "—", assignee=case.assignee.name if case.assignee else "—",
        explanation="、".join(case.explanation) or "—", contact_due=short(case.contact_due_at),
        resolve_due=short(case.resolve_due_at), why=case_life.routing_reason(context.session, case) or "—")
    return reply + _attachments(case, context)


@case_command("note", needs_text=True)
def note(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Record a note; the first note on an accepted case marks it in progress."""
    case_life.note(context.session, case, cadre, text, context.now)
    return context.text("cadre_done", action="备注", number=case.number)


@case_command("transfer", needs_text=True)
def transfer(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Hand a case on by name to a cadre who may take it (bot/cases/permissions.py); ask when several match."""
    if not can(cadre, case, "transfer"):  # before looking anyone up: a supervisor learns no names
        return context.text("case_refused", number=case.number)
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
    case_life.transfer(context.session, case, cadre, found[0], context.config, context.now)
    return context.text("cadre_transferred", number=case.number, name=found[0].name)


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


@case_command("escalate", needs_text=True)
def escalate(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Send a case up: to the township's special meeting, and (by the secretary) on to the county."""
    entry = case_life.escalate(context.session, case, cadre, text, context.config, context.now)
    return context.text("cadre_done", action=action_label(context, entry.action), number=case.number)


@case_command("reclassify")
def reclassify(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Correct the category (kept as a training label); an unaccepted case is routed anew.
    Bare ``改类 N`` offers the classifier's suggestions."""
    if not text:
        case_life.check(context.session, case, cadre, "reclassify")
        return _reclassify_choices(case, context.config["categories"], context)
    case_life.recategorise(context.session, case, cadre, text, context.config, context.now)
    return context.text("cadre_reclassified", number=case.number, category=text)


def _reclassify_choices(case: Case, categories: dict, context: Context) -> str:
    """The reply to a bare 改类 N: the suggested categories, else every category."""
    suggested = [c for c in (case.suggested or []) if c in categories and c != case.category]
    if suggested:
        return context.text("cadre_reclassify_choices", number=case.number, category=case.category,
                            choices="、".join(suggested), first=suggested[0])
    return context.text("cadre_reclassify_usage", number=case.number, choices="、".join(categories))


@case_command("resolve", needs_text=True)
def resolve(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Resolve with an answer, which goes to every reporter."""
    case_life.resolve(context.session, case, cadre, text, context.config, context.now)
    return context.text("cadre_done", action="办结", number=case.number)


@case_command("answer", needs_text=True)
def answer(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Answer a resident's inquiry (咨询): taken and resolved at once; the answer goes to them."""
    if case.kind != "inquiry":
        return context.text("inquiry_only", number=case.number)
    case_life.answer_inquiry(context.session, case, cadre, text, context.config, context.now)
    return context.text("cadre_done", action="答复", number=case.number)


def my_cases(message: Message, sender: Sender, context: Context) -> str:
    """My open cases, oldest first, with the time left before they are due; ``我的 2`` pages on."""
    size = context.config["cases"]["page_size"]
    number = max(int(context.args), 1) if context.args.isdigit() else 1
    rows = _mine(context, sender.cadre_id, number, size)
    if not rows and number > 1:  # past the last page: show the last
        total = _mine(context, sender.cadre_id, 1, size)
        number = math.ceil(total[0].total / size) if total else 1
        rows = _mine(context, sender.cadre_id, number, size)
    if not rows:
        return context.text("cadre_my_none")
    lines = [context.text("cadre_my_line", number=c.number, category=c.category, state=state_label(context, c.state),
                          left=left(c.contact_due_at if c.accepted_at is None else c.resolve_due_at, context.now))
             for c in rows]
    pages = math.ceil(rows[0].total / size)
    if pages > 1:
        lines.append(context.text("cadre_my_page", page=number, pages=pages, next=number % pages + 1))
    return "\n".join(lines)


def _mine(context: Context, cadre_id: int, number: int, size: int) -> list:
    return context.session.connection().execute(
        MINE, {"cadre": cadre_id, "skip": (number - 1) * size, "size": size}).all()


@case_command("close", needs_text=True)
def close(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Close without solving (out of scope, duplicate); a member only asks the leader when so configured."""
    if case_life.needs_approval(context.config, cadre):
        case_life.request_close(context.session, case, cadre, text, context.config, context.now)
        return context.text("cadre_close_requested", number=case.number)
    case_life.close_unresolved(context.session, case, cadre, text, context.config, context.now)
    return context.text("cadre_closed", number=case.number)


@case_command("reply", needs_text=True)
def reply(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """Write to the case's reporters (recorded in the ledger); the notifier picks the channel."""
    _, told = case_life.reply(context.session, case, cadre, text, context.config, context.now)
    if not told:
        return context.text("cadre_replied_offline", number=case.number)
    return context.text("cadre_replied", number=case.number, count=told)


@case_command("phone")
def phone(case: Case, text: str, cadre: Cadre, context: Context) -> str:
    """The phones the case's reporters chose to leave, for the case's owner alone."""
    if not can(cadre, case, READ):
        return context.text("case_refused", number=case.number)
    if not sees_phone(cadre, case):
        return context.text("cadre_phone_owner_only", number=case.number)
    lines = [context.text("cadre_phone_line", name=r.name or f"群众（微信尾号 {r.openid[-4:]}）", phone=r.phone)
             for r in case_life.reporters(context.session, case) if r.phone]
    if not lines:
        return context.text("cadre_phone_none", number=case.number)
    return context.text("cadre_phone", number=case.number, lines="\n".join(lines))


def record(message: Message, sender: Sender, context: Context) -> str:
    """``代录 村名 姓名 [手机号] 内容``: file a case for a villager met in person, routed like any other."""
    parts = context.args.split(maxsplit=2)
    if len(parts) < 3:
        return context.text("record_usage")
    village_name, name, rest = parts
    number, _, after = rest.partition(" ")
    phone_given = PHONE.fullmatch(number) is not None
    text = after.strip() if phone_given else rest.strip()
    if not text or len(name) > 16:
        return context.text("record_usage")
    cadre = context.session.get(Cadre, sender.cadre_id)
    villages = scope_villages_named(context.session, cadre, village_name)
    if not villages:
        return context.text("summary_unknown_village", name=village_name)
    case = file_for(context.session, cadre, villages[0], name, number if phone_given else "", text, context.config,
                    context.runtime.classifier, context.now)
    handler = case.assignee
    fields = dict(number=case.number, village=case.village.name, category=case.category, name=name)
    if handler is None:
        return context.text("record_unrouted", **fields)
    return context.text("record_done", handler=handler.name, why=case_life.routing_reason(context.session, case),
                        **fields)

