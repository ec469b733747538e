"""Residents follow their cases: progress, and their verdict on the answer."""
from sqlalchemy import select

from bot.cases import case_life
from bot.cases.outbox import notify_event
from handlers.cases_common import find_case, split_args, state_label
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Case, CaseReporter


def register(registry: Registry) -> None:
    """Register the residents' case commands."""
    registry.command("进度", "查询", roles={"resident"}, click=("MENU_PROGRESS",))(progress)
    registry.command("满意", roles={"resident"})(satisfied)
    registry.command("不满意", roles={"resident"})(unsatisfied)


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
        case, reporter = _my_case(context, sender, number)
        if case is None:
            return context.text("case_not_found", number=number)
        owner = case.owner or case.assignee
        # A co-reporter sees the case's public summary and their own words, never another reporter's.
        text = case.text if case.resident_id == sender.resident_id else reporter.text
        return context.text(
            "progress_detail", number=case.number, category=case.category, state=state_label(context, case.state),
            text=text, owner=f"{owner.name}（{owner.position}）{owner.phone}" if owner else "待安排",
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
    case, reporter = _my_case(context, sender, number)
    if case is None:
        return context.text("case_not_found", number=number or "")
    if case.resident_id != sender.resident_id:  # the first reporter gives the verdict (README: co-reports)
        return context.text("co_report_verdict_first", number=case.number)
    if not case_life.allowed(case.state, "confirm"):
        return context.text("case_illegal", number=case.number, state=state_label(context, case.state), action="确认满意")
    case_life.apply(context.session, case, "confirm", actor_kind="resident", actor_id=sender.resident_id,
                    now=context.now)
    reporter.verdict = "satisfied"
    case.confirmed_at = context.now
    return context.text("verdict_thanks", number=case.number)


def unsatisfied(message: Message, sender: Sender, context: Context) -> str:
    """Reject the answer with a reason: the case reopens to the same owner, who is told."""
    number, reason = split_args(context.args)
    case, reporter = _my_case(context, sender, number)
    if case is None:
        return context.text("case_not_found", number=number or "")
    if case.resident_id != sender.resident_id:
        return context.text("co_report_verdict_first", number=case.number)
    if not reason:
        return context.text("verdict_needs_reason", number=case.number)
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
