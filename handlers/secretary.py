"""Township secretaries by chat: 议题 (the special meeting's agenda) and 月报 (monthly summary)."""
from itertools import groupby

from sqlalchemy import select

from bot.cases.permissions import village_scope
from bot.reports import summaries, summary_image
from bot.reports.periods import month
from bot.reports.rates import Tally, percent, tallies
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Cadre, Township, Village


def register(registry: Registry) -> None:
    """Register the secretaries' commands (supervisors may ask for 月报 of their county)."""
    registry.command("议题", roles={"secretary"})(agenda)
    registry.command("月报", roles={"secretary", "supervisor"})(monthly)


def agenda(message: Message, sender: Sender, context: Context) -> str:
    """Cases escalated to the township, grouped by category, with their ages, owners and reasons."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    township = context.session.get(Township, cadre.township_id) if cadre.township_id else None
    items = summaries.escalated(context.session, township.id) if township else []
    if not items:
        return context.text("agenda_none")
    lines = [context.text("agenda_head", township=township.name, count=len(items))]
    for category, group in groupby(items, key=lambda item: item[0].category):
        group = list(group)
        lines.append(context.text("agenda_category", category=category, count=len(group)))
        for case, escalation in group:
            since = escalation.at if escalation else case.received_at
            owner = case.owner or case.assignee
            lines.append(context.text("agenda_line", number=case.number, village=case.village.name,
                                      days=max(0, (context.now - since).days), owner=owner.name if owner else "—",
                                      reason=escalation.reason if escalation else ""))
    return summary_image.clip(context.config, lines, summary_image.dashboard_link(context.runtime))


def monthly(message: Message, sender: Sender, context: Context) -> str:
    """This month against last: per village for a secretary, per township for a supervisor."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    by = "township" if cadre.role == "supervisor" else "village"
    scope = village_scope(cadre)
    period = month(context.now)
    this = tallies(context.session, period.start, period.end, context.now, by=by, villages=scope)
    last = tallies(context.session, period.previous().start, period.previous().end, context.now, by=by, villages=scope)
    model = Township if by == "township" else Village
    ids = select(Village.township_id if by == "township" else Village.id).where(Village.id.in_(scope))
    groups = context.session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)).all()
    scope_name = cadre.county if by == "township" else (cadre.township.name if cadre.township else "")
    lines = [context.text("monthly_head", scope=scope_name, period=period.label)]
    for group in [*groups, None]:  # None: the whole scope's total
        now_tally = this.get(group.id, Tally()) if group else sum(this.values(), Tally())
        last_tally = last.get(group.id, Tally()) if group else sum(last.values(), Tally())
        lines.append(context.text(
            "monthly_line", name=group.name if group else "合计", received=now_tally.received,
            received_last=last_tally.received, response=percent(now_tally.response_rate),
            response_last=percent(last_tally.response_rate), resolve=percent(now_tally.resolve_rate),
            resolve_last=percent(last_tally.resolve_rate), satisfaction=percent(now_tally.satisfaction_rate),
            satisfaction_last=percent(last_tally.satisfaction_rate)))
    asked = sum(tallies(context.session, period.start, period.end, context.now, villages=scope,
                        kind="inquiry").values(), Tally())
    if asked.received:  # inquiries (咨询) apart from the complaints' rates
        lines.append(context.text("summary_inquiries", received=asked.received, answered=asked.resolved,
                                  overdue=asked.overdue))
    chart = {"type": "rates", "title": f"月报 {scope_name} {period.label}", "labels": [g.name for g in groups],
             "rates": [[t.response_rate, t.resolve_rate, t.satisfaction_rate]
                       for t in (this.get(g.id, Tally()) for g in groups)]}
    return summary_image.fit(context, cadre, "monthly", chart["title"], "\n".join(lines), chart)
