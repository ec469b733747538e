"""Residents follow their cases: progress, their verdict on the answer (with or without its number), a phone number
if they wish."""
import re

from sqlalchemy import bindparam, select

from bot.cases import case_life
from bot.cases.case_life import CaseError
from bot.cases.permissions import gives_verdict
from bot.reading import dialogue
from handlers.cases_common import PHONE, pick_case, refusal, split_args, state_label
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Case, CaseReporter, Resident

# A full case number (JH-2026-00012) or its serial (12, 00012); other words after 满意 are a comment.
NUMBER = re.compile(r"[A-Z0-9]{1,8}-\d{4}-\d{1,6}|\d{1,6}")
CASES, REPORTERS = Case.__table__, CaseReporter.__table__
# 进度 without a number, the commonest read: one Core statement built once, three columns.
MY_CASES = (select(CASES.c.number, CASES.c.category, CASES.c.state)
            .join(REPORTERS, REPORTERS.c.case_id == CASES.c.id)
            .where(REPORTERS.c.resident_id == bindparam("resident")).order_by(CASES.c.id.desc()).limit(10))


def register(registry: Registry) -> None:
    """Register the residents' case commands."""
    registry.command("进度", "查询", roles={"resident"}, click=("MENU_PROGRESS",))(progress)
    registry.command("满意", roles={"resident"})(satisfied)
    registry.command("不满意", roles={"resident"})(unsatisfied)
    registry.command("留电话", roles={"resident"})(leave_phone)


def _reporter(context: Context, sender: Sender, case: Case) -> CaseReporter | None:
    """This resident's report of the case, if they reported it."""
    return context.session.scalar(select(CaseReporter).where(
        CaseReporter.case_id == case.id, CaseReporter.resident_id == sender.resident_id))


def _my_case(context: Context, sender: Sender, number: str) -> tuple[Case | None, str | None]:
    """The case if this resident reported it (others' cases do not exist for them), or the reply why not."""
    case, problem = pick_case(context, number, lambda c: _reporter(context, sender, c) is not None)
    if case is not None and _reporter(context, sender, case) is None:
        return None, context.text("case_not_found", number=number)
    return case, problem


def awaiting_verdict(session, resident_id: int) -> list[Case]:
    """The resident's resolved complaints that wait for their verdict (the first reporter's alone), newest first."""
    return list(session.scalars(select(Case).join(CaseReporter, CaseReporter.case_id == Case.id).where(
        CaseReporter.resident_id == resident_id, Case.resident_id == resident_id, CaseReporter.verdict == "",
        Case.state == "resolved",
        Case.kind == "complaint").order_by(Case.id.desc()).limit(9)))


def _verdict_case(context: Context, sender: Sender, number: str, verdict: str, reason: str = ""):
    """(case, None) for the case a verdict is about, or (None, reply) asking which or refusing.

    Without a number the verdict is about the one case awaiting it; with several, the resident is
    asked which (and the next message answers: ``handlers/reading.py``).
    """
    if number:
        return _my_case(context, sender, number)
    waiting = awaiting_verdict(context.session, sender.resident_id)
    if not waiting:
        return None, context.text("verdict_none")
    if len(waiting) > 1:
        resident = context.session.get(Resident, sender.resident_id)
        dialogue.ask(resident, "verdict", context.now, verdict=verdict, reason=reason,
                     cases=[c.number for c in waiting])
        lines = "\n".join(context.text("verdict_choice_line", index=i, number=c.number, category=c.category)
                          for i, c in enumerate(waiting, start=1))
        return None, context.text("verdict_which", choices=lines)
    return waiting[0], None


def _number_and_rest(args: str) -> tuple[str, str]:
    """The case number if the arguments start with one, and the rest (the whole, when they do not)."""
    number, rest = split_args(args)
    return (number, rest) if NUMBER.fullmatch(number) else ("", args.strip())


def progress(message: Message, sender: Sender, context: Context) -> str:
    """All my cases in one line each, or one case in full with its answer."""
    number, _ = split_args(context.args)
    if number:
        case, problem = _my_case(context, sender, number)
        if case is None:
            return problem
        owner = case.owner or case.assignee
        # A co-reporter sees the case's public summary and their own words, never another reporter's.
        text = case.text if case.resident_id == sender.resident_id else _reporter(context, sender, case).text
        return context.text(
            "progress_detail", number=case.number, category=case.category, state=state_label(context, case.state),
            text=text, owner=f"{owner.name}（{owner.position}）{owner.phone}" if owner else "待安排",
            answer=context.text("progress_answer", answer=case.answer) if case.answer else "").strip()
    cases = context.session.connection().execute(MY_CASES, {"resident": sender.resident_id}).all()
    if not cases:
        return context.text("progress_none")
    return "\n".join(context.text("progress_line", number=c.number, category=c.category,
                                  state=state_label(context, c.state)) for c in cases)


def satisfied(message: Message, sender: Sender, context: Context) -> str:
    """Confirm the answer: the case is done (``满意``, ``满意 N``, ``满意 谢谢``)."""
    number, _ = _number_and_rest(context.args)
    case, problem = _verdict_case(context, sender, number, "satisfied")
    if case is None:
        return problem
    if not gives_verdict(case, sender.resident_id):
        return context.text("co_report_verdict_first", number=case.number)
    try:
        case_life.confirm(context.session, case, context.session.get(Resident, sender.resident_id), context.now)
    except CaseError as error:
        return refusal(context, error)
    return context.text("verdict_thanks", number=case.number)


def unsatisfied(message: Message, sender: Sender, context: Context) -> str:
    """Reject the answer with a reason: the case reopens to the same owner, who is told."""
    number, reason = _number_and_rest(context.args)
    if not reason:
        case, problem = _verdict_case(context, sender, number, "unsatisfied")
        if case is None:
            return problem
        # the next message is the reason (handlers/reading.py), not a new complaint
        dialogue.ask(context.session.get(Resident, sender.resident_id), "reason", context.now, case=case.number)
        return context.text("verdict_needs_reason", number=case.number)
    case, problem = _verdict_case(context, sender, number, "unsatisfied", reason)
    if case is None:
        return problem
    if not gives_verdict(case, sender.resident_id):
        return context.text("co_report_verdict_first", number=case.number)
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
