"""When a village's station team next comes: the weekly (or fortnightly) station day, in China time.

The rule lives on the roster: a township's weekday and half-day, a village's place, and for a
remote village a fortnight counted from its anchor date. Exceptions cancel a station day or move
it to another date: those a leader makes by chat or the CLI (``StationDayChange`` rows, effective at
once) come first, then ``station_days.exceptions`` in config; a station day on a public holiday
then follows ``station_days.on_holiday`` (skip, or the next working day).
"""
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta

from sqlalchemy import inspect, select

from bot.timefmt import CHINA, HolidayCalendarMissing, holiday_name, is_working_day

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
HALF_NAMES = {"morning": "上午", "afternoon": "下午"}
# A half-day station day is still "next" while it lasts: a resident asking at 15:00 on the day
# should hear "today afternoon", not next week.
HALF_ENDS = {"morning": time(12, 0), "afternoon": time(18, 0)}
# Remote villages without an anchor count their fortnights from this Monday.
DEFAULT_ANCHOR = date(2024, 1, 1)
# Candidates examined: a year of weeks is more than any run of cancelled station days. The
# search starts some weeks back because an earlier station day may have been moved forward.
HORIZON_WEEKS = 60
LOOKBACK_WEEKS = 5


class NoStationDay(LookupError):
    """Every station day within the horizon is cancelled."""


@dataclass(frozen=True)
class StationDayInfo:
    """One station day: its date, weekday and half-day names (Chinese) and the place."""

    date: date
    weekday_name: str
    half: str
    place: str
    regular: date | None = None  # the rule's date this one replaces (itself when not moved)

    @property
    def text(self) -> str:
        """Like ``11月29日（星期二）下午，村委会办公楼``."""
        return f"{self.date.month}月{self.date.day}日（{self.weekday_name}）{self.half}，{self.place}"


def _as_date(value) -> date:
    """YAML gives dates unquoted as ``date`` and quoted as strings; accept both."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _applies(rule: dict, village) -> bool:
    """An exception may be limited to some counties or townships; by default it applies everywhere."""
    township = village.township
    counties, townships = rule.get("counties"), rule.get("townships")
    if counties and township.county not in counties:
        return False
    return not townships or township.name in townships


def _exception_for(day: date, village, exceptions: dict) -> dict | None:
    for key, rule in exceptions.items():
        if _as_date(key) == day and _applies(rule or {}, village):
            return rule or {"cancel": True}
    return None


def _regular_days(village, start: date):
    """Yield the rule's station days from the week of ``start`` on."""
    township = village.township
    first = _monday(start) - timedelta(weeks=LOOKBACK_WEEKS) + timedelta(days=township.station_weekday - 1)
    anchor_week = _monday(village.anchor or DEFAULT_ANCHOR)
    for week in range(LOOKBACK_WEEKS + HORIZON_WEEKS):
        day = first + timedelta(weeks=week)
        if village.remote and ((_monday(day) - anchor_week).days // 7) % 2:
            continue  # remote villages: only weeks an even number of weeks from the anchor's
        yield day


def _changes(village) -> dict:
    """The village's stored changes by the regular date they replace (the latest wins)."""
    from models import StationDayChange  # models import nothing above them; we import them late

    state = inspect(village, raiseerr=False)  # plain objects (tests, previews) have no stored changes
    session = state.session if state is not None else None
    if session is None or village.id is None:
        return {}
    rows = session.scalars(select(StationDayChange).where(StationDayChange.village_id == village.id)
                           .order_by(StationDayChange.id))
    return {row.day: row for row in rows}


@lru_cache(maxsize=4096)  # a pure function of the date: the holiday calendar is the package's data
def _on_holiday(day: date, rule: str) -> date | None:
    """Where a regular station day on a public holiday goes: itself, nowhere (skip) or the next working day."""
    try:
        if rule == "keep" or holiday_name(day) is None:
            return day
    except HolidayCalendarMissing:
        return day  # a year not yet published: keep the rule's day
    if rule == "skip":
        return None
    later = day + timedelta(days=1)
    while not is_working_day(later):
        later += timedelta(days=1)
    return later


def _actual(day: date, village, exceptions: dict, changes: dict, on_holiday: str) -> tuple[date, str, str] | None:
    """The (date, half, place) a regular station day really falls on, or None when cancelled."""
    half, place = village.township.station_half, village.place
    if (change := changes.get(day)) is not None:
        if change.moved_to is None:
            return None
        return change.moved_to, change.half or half, change.place or place
    rule = _exception_for(day, village, exceptions)
    if rule is None:
        moved = _on_holiday(day, on_holiday)
        return None if moved is None else (moved, half, place)
    if rule.get("cancel") or not rule.get("moved_to"):
        return None
    return _as_date(rule["moved_to"]), rule.get("half") or half, rule.get("place") or place


def _rules(station_days: dict) -> tuple[dict, str]:
    """(exceptions, on_holiday) from config's ``station_days`` block (or just its ``exceptions`` mapping)."""
    block = station_days or {}
    if "exceptions" in block or "on_holiday" in block:
        return block.get("exceptions") or {}, block.get("on_holiday", "keep")
    return block, "keep"


def day_plan(village, day: date, station_days: dict) -> tuple[tuple[datetime, str, str, date], ...]:
    """Every station day of ``village`` seen from China date ``day``: (ends, half, place, regular date), by end.

    The same for the whole day, so a cache may keep it per village and day (bot/roster/facts.py).
    """
    exceptions, on_holiday = _rules(station_days)
    changes = _changes(village)
    found = []
    for regular in _regular_days(village, day):
        actual = _actual(regular, village, exceptions, changes, on_holiday)
        if actual is not None:
            moved_day, half, place = actual
            found.append((datetime.combine(moved_day, HALF_ENDS[half], CHINA), half, place, regular))
    found.sort()
    return tuple(found)


def pick(plan, after: datetime, count: int = 1) -> list[StationDayInfo]:
    """The first ``count`` station days of a ``day_plan`` not yet over at ``after`` (an aware datetime)."""
    if after.tzinfo is None:
        raise ValueError("station days need an aware datetime")
    local = after.astimezone(CHINA)
    return [StationDayInfo(ends.date(), WEEKDAY_NAMES[ends.weekday()], HALF_NAMES[half], place, day)
            for ends, half, place, day in [item for item in plan if item[0] > local][:count]]


def upcoming_station_days(village, after: datetime, station_days: dict, count: int = 1) -> list[StationDayInfo]:
    """The first ``count`` station days of ``village`` not yet over at ``after`` (an aware datetime).

    ``station_days`` is config's ``station_days`` block (or just its ``exceptions`` mapping).
    """
    if after.tzinfo is None:
        raise ValueError("station days need an aware datetime")
    return pick(day_plan(village, after.astimezone(CHINA).date(), station_days), after, count)


def next_station_day(village, after: datetime, exceptions: dict) -> StationDayInfo:
    """The first station day of ``village`` not yet over at ``after`` (an aware datetime).

    ``exceptions`` is config's ``station_days`` block, or just its ``exceptions`` mapping.
    """
    days = upcoming_station_days(village, after, exceptions)
    if not days:
        raise NoStationDay(f"no station day for village {village.name} within {HORIZON_WEEKS} weeks")
    return days[0]
