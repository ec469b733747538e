"""Reporting periods in China time: this week (from Monday 00:00), last week, this month."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.timefmt import CHINA


@dataclass(frozen=True)
class Period:
    """A half-open span [start, end) of aware datetimes, with a short Chinese label."""

    start: datetime
    end: datetime
    label: str
    kind: str = "days"  # week | month | days

    def previous(self) -> "Period":
        """The period of the same kind just before this one."""
        if self.kind == "week":
            return week(self.start - timedelta(days=1))
        if self.kind == "month":
            return month(self.start - timedelta(days=1))
        span = self.end - self.start
        return Period(self.start - span, self.start, self.label, "days")


def week(now: datetime) -> "Period":
    """The week (Monday to Sunday, China time) holding ``now``."""
    local = now.astimezone(CHINA)
    start = datetime.combine(local.date() - timedelta(days=local.weekday()), datetime.min.time(), CHINA)
    end = start + timedelta(days=7)
    return Period(start, end, f"{start.month}月{start.day}日–{(end - timedelta(days=1)).day}日", "week")


def month(now: datetime) -> "Period":
    """The calendar month (China time) holding ``now``."""
    local = now.astimezone(CHINA)
    start = datetime(local.year, local.month, 1, tzinfo=CHINA)
    end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=CHINA)
    return Period(start, end, f"{local.year}年{local.month}月", "month")


def days(now: datetime, count: int) -> "Period":
    """The last ``count`` days up to ``now``."""
    return Period(now - timedelta(days=count), now, f"近{count}天")


def named(name: str, now: datetime) -> "Period":
    """A period by its dashboard name: week, last_week, month, last_month, 30d, 90d, 365d."""
    if name == "week":
        return week(now)
    if name == "last_week":
        return week(now).previous()
    if name == "month":
        return month(now)
    if name == "last_month":
        return month(now).previous()
    if name.endswith("d") and name[:-1].isdigit():
        return days(now, int(name[:-1]))
    raise ValueError(f"unknown period {name!r}")


def weeks_back(now: datetime, count: int) -> list["Period"]:
    """The last ``count`` weeks, oldest first, ending with this week."""
    periods = [week(now)]
    for _ in range(count - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]
