"""Residents follow their cases: progress, and their verdict on the answer (with or without its number)."""
import re

from sqlalchemy import select

from bot.cases import case_life
from bot.cases.outbox import notify_event
from bot.reading import dialogue
from handlers.cases_common import pick_case, split_args, state_label
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Case, CaseReporter, Resident

# A full case number (JH-2026-00012) or its serial (12, 00012); other words after 满意 are a comment.
NUMBER = re.compile(r"[A-Z0-9]{1,8}-\d{4}-\d{1,6}|\d{1,6}")


def register(registry: Registry) -> None:
    """Register the residents' case commands."""
    registry.command("进度", "查询", roles={"resident"}, click=("MENU_PROGRESS",))(progress)
    registry.command("满意", roles={"resident"})(satisfied)
    registry.command("不满意", roles={"resident"})(unsatisfied)


def _reporter(context: Context, sender: Sender, case: Case) -> CaseReporter | None:
    """This resident's report of the case, if they reported it."""
    return context.session.scalar(select(CaseReporter).where(
        CaseReporter.case_id == case.id, CaseReporter.resident_id == sender.resident_id))


def _my_case(context: Context, sender: Sender, number: str) -> tuple[Case | None, CaseReporter | None]:
    """The case if this resident reported it (others' cases do not exist for them)."""
    case, _ = pick_case(context, number, lambda c: _reporter(context, sender, c) is not None)
    reporter = _reporter(context, sender, case) if case is not None else None
    return (case, reporter) if reporter else (None, None)


def awaiting_verdict(session, resident_id: int) -> list[Case]:
    """The resident's resolved complaints that wait for their verdict, newest first."""
    return list(session.scalars(select(Case).join(CaseReporter, CaseReporter.case_id == Case.id).where(
        CaseReporter.resident_id == resident_id, CaseReporter.verdict == "", Case.state == "resolved",
        Case.kind == "complaint").order_by(Case.id.desc()).limit(9)))


def _verdict_case(context: Context, sender: Sender, number: str, verdict: str, reason: str = ""):
    """(case, reporter, None) for the case a verdict is about, or (None, None, reply) asking or refusing.

    Without a number the verdict is about the one case awaiting it; with several, the resident is
    asked which (and the next message answers: ``bot/reading``).
    """
    if number:
        case, reporter = _my_case(context, sender, number)
        if case is None:
            _, problem = pick_case(context, number, lambda c: _reporter(context, sender, c) is not None)
            return None, None, problem or context.text("case_not_found", number=number)
        return case, reporter, None
    waiting = awaiting_verdict(context.session, sender.resident_id)
    if not waiting:
        return None, None, context.text("verdict_none")
    if len(waiting) > 1:
        resident = context.session.get(Resident, sender.resident_id)
        dialogue.ask(resident, "verdict", context.now, verdict=verdict, reason=reason,
                     cases=[c.number for c in waiting])
        lines = "\n".join(context.text("verdict_choice_line", index=i, number=c.number, category=c.category)
                          for i, c in enumerate(waiting, start=1))
        return None, None, context.text("verdict_which", choices=lines)
    return waiting[0], _reporter(context, sender, waiting[0]), None


def _number_and_rest(args: str) -> tuple[str, str]:
    """The case number if the arguments start with one, and the rest (the whole, when they do not)."""
    number, rest = split_args(args)
    return (number, rest) if NUMBER.fullmatch(number) else ("", args.strip())


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
    """Confirm the answer: the case is done (``满意``, ``满意 N``, ``满意 谢谢``)."""
    number, _ = _number_and_rest(context.args)
    case, reporter, problem = _verdict_case(context, sender, number, "satisfied")
    if case is None:
        return problem
    if not case_life.allowed(case.state, "confirm"):
        return context.text("case_illegal", number=case.number, state=state_label(context, case.state), action="确认满意")
    case_life.apply(context.session, case, "confirm", actor_kind="resident", actor_id=sender.resident_id,
                    now=context.now)
    reporter.verdict = "satisfied"
    case.confirmed_at = context.now
    return context.text("verdict_thanks", number=case.number)


def unsatisfied(message: Message, sender: Sender, context: Context) -> str:
    """Reject the answer with a reason: the case reopens to the same owner, who is told."""
    number, reason = _number_and_rest(context.args)
    if not reason:
        return context.text("verdict_needs_reason", number=number or "")
    case, reporter, problem = _verdict_case(context, sender, number, "unsatisfied", reason)
    if case is None:
        return problem
    if not case_life.allowed(case.state, "reopen"):
        return context.text("case_illegal", number=case.number, state=state_label(context, case.state), action="重新办理")
    entry = case_life.apply(context.session, case, "reopen", actor_kind="resident", actor_id=sender.resident_id,
                            now=context.now, note=reason)
    reporter.verdict = "unsatisfied"
    case.reopened += 1
    case.confirmed_at = None
    if case.owner is not None:
        notify_event(context.session, entry, case.owner, "reopened",
                     context.text("push_reopened", number=case.number, reason=reason), title=f"重新办理 {case.number}")
    return context.text("verdict_reopened", number=case.number)
