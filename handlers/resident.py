"""Residents follow their cases: progress, their verdict on the answer, a phone number if they wish."""
import re

from sqlalchemy import select

from bot.cases import case_life
from bot.cases.case_life import CaseError, NotAllowed
from handlers.cases_common import PHONE, find_case, refusal, split_args, state_label
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Case, CaseReporter, Resident


def register(registry: Registry) -> None:
    """Register the residents' case commands."""
    registry.command("进度", "查询", roles={"resident"}, click=("MENU_PROGRESS",))(progress)
    registry.command("满意", roles={"resident"})(satisfied)
    registry.command("不满意", roles={"resident"})(unsatisfied)
    registry.command("留电话", roles={"resident"})(leave_phone)


def _my_case(context: Context, sender: Sender, number: str) -> tuple[Case | None, CaseReporter | None]:
    """The case if this resident reported it (others' cases do not exist for them)."""
    case = find_case(context.session, number)
    if case is None:
        return None, None
    reporter = context.session.scalar(select(CaseReporter).where(
        CaseReporter.case_id == case.id, CaseReporter.resident_id == sender.resident_id))
    return (case, reporter) if reporter else (None, None)


def progress(message: Message, sender: Sender, context: Context) -> str:
    """All my cases in one line each, or one case in full with its answer."""
    number, _ = split_args(context.args)
    if number:
        case, _ = _my_case(context, sender, number)
        if case is None:
            return context.text("case_not_found", number=number)
        owner = case.owner or case.assignee
        return context.text(
            "progress_detail", number=case.number, category=case.category, state=state_label(context, case.state),
            text=case.text, owner=f"{owner.name}（{owner.position}）{owner.phone}" if owner else "待安排",
            answer=context.text("progress_answer", answer=case.answer) if case.answer else "").strip()
    cases = context.session.scalars(select(Case).join(CaseReporter, CaseReporter.case_id == Case.id).where(
        CaseReporter.resident_id == sender.resident_id).order_by(Case.id.desc()).limit(10)).all()
    if not cases:
        return context.text("progress_none")
    return "\n".join(context.text("progress_line", number=c.number, category=c.category,
                                  state=state_label(context, c.state)) for c in cases)


def satisfied(message: Message, sender: Sender, context: Context) -> str:
    """Confirm the answer: the case is done."""
    number, _ = split_args(context.args)
    case = find_case(context.session, number)
    if case is None:
        return context.text("case_not_found", number=number or "")
    try:
        case_life.confirm(context.session, case, context.session.get(Resident, sender.resident_id), context.now)
    except NotAllowed:  # others' cases do not exist for them
        return context.text("case_not_found", number=number)
    except CaseError as error:
        return refusal(context, error)
    return context.text("verdict_thanks", number=case.number)


def unsatisfied(message: Message, sender: Sender, context: Context) -> str:
    """Reject the answer with a reason: the case reopens to the same owner, who is told."""
    number, reason = split_args(context.args)
    case, _ = _my_case(context, sender, number)
    if case is None:
        return context.text("case_not_found", number=number or "")
    if not reason:
        return context.text("verdict_needs_reason", number=case.number)
    try:
        case_life.reopen(context.session, case, context.session.get(Resident, sender.resident_id), reason,
                         context.config, context.now)
    except CaseError as error:
        return refusal(context, error)
    return context.text("verdict_reopened", number=case.number)


def leave_phone(message: Message, sender: Sender, context: Context) -> str:
    """``留电话 手机号``: the owner of the resident's cases may then call them (电话 N)."""
    phone = re.sub(r"[\s\-－]", "", context.args)
    if not PHONE.fullmatch(phone):
        return context.text("phone_usage")
    resident = context.session.get(Resident, sender.resident_id)
    resident.phone, resident.phone_asked = phone, True
    return context.text("phone_saved", phone=phone)
