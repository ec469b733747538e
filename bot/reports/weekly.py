"""The leaders' weekly summary (周报), composed for chat and for the Monday push (bot/delivery/schedules.py)."""
from datetime import datetime

from sqlalchemy import select

from bot.cases.permissions import village_scope
from bot.reports import summaries
from bot.reports.periods import Period, week
from bot.reports.rates import Tally, percent, tallies
from bot.roster.names import name_key, village_keys
from bot.timefmt import short
from models import Cadre, Village


def _text(config: dict, name: str, **values) -> str:
    return config["texts"][name].format(**values)


def figures(config: dict, this: Tally, last: Tally) -> str:
    """The week's counts and rates, last week's in brackets."""
    return _text(config, "summary_weekly_figures",
                 received=this.received, received_last=last.received,
                 contacted=this.contacted, contacted_last=last.contacted,
                 resolved=this.resolved, resolved_last=last.resolved,
                 overdue=this.overdue, overdue_last=last.overdue,
                 response=percent(this.response_rate), response_last=percent(last.response_rate),
                 resolve=percent(this.resolve_rate), resolve_last=percent(last.resolve_rate),
                 satisfaction=percent(this.satisfaction_rate), satisfaction_last=percent(last.satisfaction_rate))


def case_line(config: dict, case, now: datetime) -> str:
    """One unresolved case with its owner and age."""
    owner = case.owner or case.assignee
    return _text(config, "summary_case_line", number=case.number, village=case.village.name,
                 category=case.category, owner=owner.name if owner else "—", days=summaries.age_days(case, now))


def weekly_text(session, config: dict, villages: list[Village], now: datetime,
                period: Period | None = None, paused: dict[str, datetime] | None = None,
                viewer: int | None = None) -> tuple[str, dict]:
    """The 周报 of ``villages`` (this week, or ``period``, against the one before) for ``viewer``, and chart data."""
    period = period or week(now)
    ids = [v.id for v in villages]
    this = tallies(session, period.start, period.end, now, villages=ids)
    inquiries = tallies(session, period.start, period.end, now, villages=ids, kind="inquiry")
    last = tallies(session, period.previous().start, period.previous().end, now, villages=ids)
    diaries = summaries.diary_counts(session, ids, period)
    undelivered = summaries.given_up_pushes(session, ids, period)
    blocks, labels, rates = [], [], []
    for village in villages:
        here = this.get(village.id, Tally())
        lines = [_text(config, "summary_weekly_head", village=village.name, period=period.label),
                 figures(config, here, last.get(village.id, Tally()))]
        categories = summaries.category_counts(session, [village.id], period)
        if categories:
            lines.append(_text(config, "summary_categories", items="，".join(f"{k} {n}" for k, n in categories.items())))
        asked = inquiries.get(village.id)
        if asked:  # inquiries (咨询) apart from the complaints above
            lines.append(_text(config, "summary_inquiries", received=asked.received, answered=asked.resolved,
                               overdue=asked.overdue))
        lines.append(_text(config, "summary_diaries", count=diaries.get(village.id, 0)))
        if undelivered.get(village.id):  # the leader must know who was never told
            lines.append(_text(config, "summary_given_up", count=undelivered[village.id]))
        oldest = summaries.oldest_open(session, [village.id], config["summaries"]["oldest_count"], viewer)
        lines.append(config["texts"]["summary_oldest_head"])
        lines += [case_line(config, case, now) for case in oldest] or [config["texts"]["summary_none"]]
        blocks.append("\n".join(lines))
        labels.append(village.name)
        rates.append([here.response_rate, here.resolve_rate, here.satisfaction_rate])
    for channel, until in (paused or {}).items():  # WeChat's daily quota ran out (45009)
        blocks.append(_text(config, "summary_channel_paused", channel=config["labels"]["channels"][channel],
                            until=short(until)))
    chart = {"type": "rates", "title": f"周报 {period.label}", "labels": labels, "rates": rates}
    return "\n\n".join(blocks), chart


def scope_villages(session, cadre: Cadre) -> list[Village]:
    """The villages a cadre's summaries cover, in roster order."""
    return list(session.scalars(select(Village).where(Village.id.in_(village_scope(cadre))).order_by(Village.id)))


def scope_villages_named(session, cadre: Cadre, text: str) -> list[Village]:
    """The cadre's villages whose name or alias matches ``text`` (with or without 村/社区)."""
    key = name_key(text)
    return [v for v in scope_villages(session, cadre) if key and key in village_keys(v.name, v.aliases or [])]
