"""Supervisors by chat: 排名 (townships by the three rates, worst first) and 督查 (station-day checks)."""
from sqlalchemy import select

from bot.reports import records, summaries, summary_image
from bot.reports.periods import month, week
from bot.reports.rates import Tally, percent, tallies
from bot.reports.weekly import scope_villages_named
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Cadre, Village

VERDICTS = {"到岗": True, "缺岗": False}


def register(registry: Registry) -> None:
    """Register the supervisors' commands."""
    registry.command("排名", roles={"supervisor"})(ranking)
    registry.command("督查", roles={"supervisor"})(inspection)


def badness(tally: Tally) -> tuple:
    """Sort key, worst first: the mean of the defined rates (townships with no figures go last)."""
    rates = [r for r in (tally.response_rate, tally.resolve_rate, tally.satisfaction_rate) if r is not None]
    return (0, sum(rates) / len(rates)) if rates else (1, 0.0)


def ranking(message: Message, sender: Sender, context: Context) -> str:
    """The county's townships this month (``排名 周``: this week), worst first, with absences."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    period = week(context.now) if context.args.strip() in ("周", "本周") else month(context.now)
    townships = summaries.townships_of_county(context.session, cadre.county) if cadre.county else []
    if not townships:
        return context.text("ranking_none")
    villages = select(Village.id).where(Village.township_id.in_([t.id for t in townships]))
    figures = tallies(context.session, period.start, period.end, context.now, by="township", villages=villages)
    absent = summaries.absences(context.session, period, villages=villages)
    ordered = sorted(townships, key=lambda t: (badness(figures.get(t.id, Tally())), t.id))
    lines = [context.text("ranking_head", county=cadre.county, period=period.label)]
    for rank, township in enumerate(ordered, 1):
        tally = figures.get(township.id, Tally())
        lines.append(context.text("ranking_line", rank=rank, name=township.name,
                                  response=percent(tally.response_rate), resolve=percent(tally.resolve_rate),
                                  satisfaction=percent(tally.satisfaction_rate), absences=absent.get(township.id, 0)))
    chart = {"type": "rates", "title": f"排名 {cadre.county} {period.label}", "labels": [t.name for t in ordered],
             "rates": [[f.response_rate, f.resolve_rate, f.satisfaction_rate]
                       for f in (figures.get(t.id, Tally()) for t in ordered)]}
    return summary_image.fit(context, cadre, "ranking", chart["title"], "\n".join(lines), chart)


def inspection(message: Message, sender: Sender, context: Context) -> str:
    """``督查 村名 到岗|缺岗 备注``: record a station-day check of a village in the county."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    parts = context.args.split(None, 2)
    if len(parts) < 2 or parts[1] not in VERDICTS:
        return context.text("inspection_usage")
    found = scope_villages_named(context.session, cadre, parts[0])
    if not found:
        return context.text("summary_unknown_village", name=parts[0])
    row = records.inspect(context.session, cadre, found[0], VERDICTS[parts[1]], parts[2] if len(parts) > 2 else "",
                          context.now)
    return context.text("inspection_saved", village=found[0].name, day=f"{row.day.month}月{row.day.day}日",
                        verdict=parts[1])
