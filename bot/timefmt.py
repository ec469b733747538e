"""Times as residents and cadres read them: China time, short and in Chinese."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

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


def working_days_after(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` working days (Monday to Friday, China time)."""
    local = moment.astimezone(CHINA)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local
