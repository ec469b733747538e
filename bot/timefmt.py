"""Times as residents and cadres read them: China time, short and in Chinese."""
import functools
import logging
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")


def short(moment: datetime) -> str:
    """E.g. ``11月29日 14:00`` in China time."""
    local = moment.astimezone(CHINA)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def stamp(moment: datetime) -> str:
    """E.g. ``2026-11-27 21:10`` in China time (16 characters: fits a template field)."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def time_of_day(value: str) -> time:
    """A config value such as ``"22:00"`` as a time of day."""
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def left(due: datetime, now: datetime) -> str:
    """Time left before ``due`` (or how late), e.g. ``剩2天3小时`` / ``超时5小时``."""
    delta = due - now
    late = delta < timedelta(0)
    hours = int(abs(delta).total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    span = (f"{days}天" if days else "") + (f"{hours}小时" if hours or not days else "")
    return ("超时" if late else "剩") + span


class HolidayCalendarMissing(LookupError):
    """China's holiday calendar (the chinesecalendar package) has no data for a year."""

    def __init__(self, year: int) -> None:
        super().__init__(f"China's holiday calendar (chinesecalendar) has no data for {year}: "
                         "upgrade it with pip install -U chinesecalendar")
        self.year = year


def holiday_name(day: date) -> str | None:
    """The public holiday ``day`` falls in (e.g. ``National Day``), or None; raises HolidayCalendarMissing."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        raise HolidayCalendarMissing(day.year) from None
    return name if on_holiday else None


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day by the State Council's calendar, 调休 included.

    Beyond the package's data (it is published a year at a time) the week counts Monday to Friday,
    and the first such day logs the error once a year: time limits must keep working meanwhile.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_missing(day.year)
        return day.weekday() < 5


@functools.cache
def _warn_missing(year: int) -> None:
    logging.getLogger(__name__).error("%s; counting Monday to Friday meanwhile", HolidayCalendarMissing(year))


def working_days_after(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` working days by China's holiday calendar (China time)."""
    local = moment.astimezone(CHINA)
    while days > 0:
        local += timedelta(days=1)
        if is_working_day(local.date()):
            days -= 1
    return local


_DAY = re.compile(r"^(?:(\d{4})[年\-/.])?(\d{1,2})[月\-/.](\d{1,2})[日号]?$")


def parse_day(text: str, today: date) -> date | None:
    """A date as cadres type it (``12月8日``, ``12-8``, ``2026-12-08``); a year-less past date means next year."""
    match = _DAY.match(text.strip())
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        found = date(year or today.year, month, day)
        if year is None and found < today:
            found = date(today.year + 1, month, day)
    except ValueError:
        return None  # 2月30日
    return found
