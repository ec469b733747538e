"""Team leaders by chat: 周报 (weekly summary), 超时 (overdue list), 日志 (diary), 公告 (announcement)."""
import re

from sqlalchemy import select

from bot.cases.permissions import READERS, readable
from bot.delivery.pauses import paused
from bot.reports import records, summaries, summary_image
from bot.reports.weekly import scope_villages, scope_villages_named, weekly_text
from bot.timefmt import CHINA, left, parse_day, short
from bot.villages import station_changes
from handlers.cases_common import find_case, split_args
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Announcement, Cadre
from models.roster import served_villages

CASE_NUMBER = re.compile(r"[A-Z][A-Z0-9]{0,7}-\d{4}-\d{3,}")  # how case numbers look (bot/cases/filing.py)


def register(registry: Registry) -> None:
    """Register the leaders' commands (secretaries and supervisors may read summaries too)."""
    registry.command("周报", roles=READERS)(weekly)
    registry.command("超时", roles=READERS)(overdue)
    registry.command("日志", roles={"member", "leader"})(diary)
    registry.command("公告", roles={"leader"})(announce)


def villages_named(context: Context, cadre: Cadre, name: str):
    """The cadre's villages, or those matching ``name`` within their scope (None: no such village)."""
    if not name:
        return scope_villages(context.session, cadre)
    return scope_villages_named(context.session, cadre, name) or None


def weekly(message: Message, sender: Sender, context: Context) -> str:
    """This week against last for each village in scope (or the one named); long ones as a chart."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    villages = villages_named(context, cadre, context.args)
    if villages is None:
        return context.text("summary_unknown_village", name=context.args)
    if not villages:
        return context.text("summary_no_villages")
    text, chart = weekly_text(context.session, context.config, villages, context.now,
                              paused=paused(context.runtime.redis, context.now), viewer=cadre.id)
    return summary_image.fit(context, cadre, "weekly", chart["title"], text, chart)


def overdue(message: Message, sender: Sender, context: Context) -> str:
    """Overdue open cases in scope, most overdue first; a long list ends with the dashboard link."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    villages = villages_named(context, cadre, context.args)
    if villages is None:
        return context.text("summary_unknown_village", name=context.args)
    cases = summaries.overdue(context.session, [v.id for v in villages], context.now,
                              context.config["summaries"]["overdue_count"], viewer=cadre.id)
    if not cases:
        return context.text("overdue_none")
    lines = [context.text("overdue_head", count=len(cases))]
    for case in cases:
        owner = case.owner or case.assignee
        lines.append(context.text("overdue_line", number=case.number, village=case.village.name,
                                  category=case.category, owner=owner.name if owner else "—",
                                  late=left(case.due_at, context.now)))
    return summary_image.clip(context.config, lines, summary_image.dashboard_link(context.runtime, "overdue"))


def diary(message: Message, sender: Sender, context: Context) -> str:
    """``日志 内容`` for the cadre's village, ``日志 N 内容`` about case N."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    number, rest = split_args(context.args)
    case = find_case(context.session, number) if number else None
    if CASE_NUMBER.fullmatch(number) and (case is None or not readable(context.session, cadre, case)):
        return context.text("case_not_found", number=number)  # the same answer for "not yours"
    if case is not None and rest:
        village, text = case.village, rest
    else:
        villages = served_villages(context.session, cadre)
        if not villages:
            return context.text("summary_no_villages")
        first, _, after = context.args.partition(" ")
        named = [v for v in villages if v.name == first and after.strip()]
        village, text = (named[0], after.strip()) if named else (villages[0], context.args.strip())
    if not text:
        return context.text("diary_usage")
    entry, count = records.write_diary(context.session, cadre, village, text, context.now,
                                       context.config.get("station_days"), case.id if case and rest else None)
    linked = context.text("diary_case", number=case.number) if entry.case_id else ""
    return context.text("diary_saved", village=village.name, day=f"{entry.station_day.month}月{entry.station_day.day}日",
                        case=linked, count=count)


def announce(message: Message, sender: Sender, context: Context) -> str:
    """``公告 村名 内容`` to every bound resident; bare ``公告`` reports how the last ones went out."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    name, _, text = context.args.partition(" ")
    if not name:
        return announcement_status(context, cadre)
    villages = villages_named(context, cadre, name)
    if villages is None:
        return context.text("summary_unknown_village", name=name)
    village, text = villages[0], text.strip()
    if not text:
        return context.text("announce_usage")
    limit = context.config["summaries"]["announcements_per_village_per_day"]
    if records.announcements_today(context.session, village, context.now) >= limit:
        return context.text("announce_limit", village=village.name, limit=limit)
    content = context.text("announce_push", village=village.name, text=text)
    row = records.announce(context.session, cadre, village, text, content, context.now)
    if row is None:
        return context.text("announce_nobody", village=village.name)
    return context.text("announce_sent", village=village.name, count=row.recipients)


def announcement_status(context: Context, cadre: Cadre) -> str:
    """The cadre's last five announcements with their delivery counts."""
    rows = context.session.scalars(select(Announcement).where(Announcement.cadre_id == cadre.id)
                                   .order_by(Announcement.at.desc(), Announcement.id.desc()).limit(5)).all()
    if not rows:
        return context.text("announce_none")
    counts = records.delivery_counts(context.session, [row.id for row in rows])
    return "\n".join(context.text(
        "announce_line", time=short(row.at), village=row.village.name, text=row.text[:20], count=row.recipients,
        sent=counts[row.id].get("sent", 0), failed=counts[row.id].get("failed", 0) + counts[row.id].get("given_up", 0),
        pending=counts[row.id].get("pending", 0) + counts[row.id].get("sending", 0)) for row in rows)


def change_station_day(message: Message, sender: Sender, context: Context) -> str:
    """``驻点 取消 村名 日期`` / ``驻点 改期 村名 新日期 [地点]``: change a station day, tell the residents."""
    action, *rest = context.args.split()
    if sender.role != "leader":
        return context.text("not_allowed", command="驻点 " + action)
    if len(rest) < 2 or (action == "取消" and len(rest) > 2):
        return context.text("station_change_usage")
    name, day_word, place = rest[0], rest[1], " ".join(rest[2:])
    cadre = context.session.get(Cadre, sender.cadre_id)
    villages = villages_named(context, cadre, name)
    if villages is None:
        return context.text("summary_unknown_village", name=name)
    day = parse_day(day_word, context.now.astimezone(CHINA).date())
    if day is None:
        return context.text("station_change_bad_date", text=day_word)
    village, station_days = villages[0], context.config.get("station_days") or {}
    try:
        if action == "取消":
            following, told = station_changes.cancel(context.session, village, day, context.now, station_days,
                                                     context.config["texts"], cadre)
            return context.text("station_cancelled", village=village.name, date=station_changes.day_text(day),
                                station=following.text, count=told)
        _, after, told = station_changes.move(context.session, village, day, context.now, station_days,
                                              context.config["texts"], place, cadre)
    except station_changes.StationChangeRefused as refused:
        return context.text(refused.key, **refused.fields)
    return context.text("station_moved", village=village.name, station=after.text, count=told)
