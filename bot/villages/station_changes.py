"""Cancelling or moving a village's station day: stored at once, announced to its bound residents.

The team leader does it by chat (``驻点 取消 村名 日期``, ``驻点 改期 村名 新日期 [地点]``), an admin by
``python -m bot station``. Both write a ``StationDayChange`` row, which every reader of the schedule
(``驻点``, the contact card, the eve's list, diaries) sees at once, and one announcement push per
bound resident in the same transaction.
"""
from datetime import date, datetime

from bot.reports import records
from bot.timefmt import CHINA
from bot.villages.station_day import StationDayInfo, next_station_day, upcoming_station_days
from models import Cadre, StationDayChange, Village

LOOKAHEAD = 8  # upcoming station days a cancelled date is looked for in


class StationChangeRefused(ValueError):
    """A change that cannot be made; ``key`` names the text that says why, ``fields`` fill it."""

    def __init__(self, key: str, **fields) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


def day_text(day: date) -> str:
    """Like ``12月8日``."""
    return f"{day.month}月{day.day}日"


def cancel(session, village: Village, day: date, now: datetime, station_days: dict, texts: dict,
           cadre: Cadre | None = None) -> tuple[StationDayInfo, int]:
    """Cancel the station day on ``day``; returns the next one left and how many residents are told."""
    upcoming = upcoming_station_days(village, now, station_days, LOOKAHEAD)
    target = next((info for info in upcoming if info.date == day), None)
    if target is None:
        raise StationChangeRefused("station_change_not_day", village=village.name, date=day_text(day),
                                   days="、".join(day_text(info.date) for info in upcoming[:3]))
    session.add(StationDayChange(village_id=village.id, day=target.regular, moved_to=None,
                                 cadre_id=cadre.id if cadre else None, at=now))
    session.flush()
    following = next_station_day(village, now, station_days)
    push = texts["station_cancel_push"].format(village=village.name, date=day_text(day), station=following.text)
    return following, _announce(session, village, cadre, push, now)


def move(session, village: Village, to: date, now: datetime, station_days: dict, texts: dict,
         place: str = "", cadre: Cadre | None = None) -> tuple[StationDayInfo, StationDayInfo, int]:
    """Move the next station day to ``to`` (and ``place``); returns it before and after, and residents told."""
    if to < now.astimezone(CHINA).date():
        raise StationChangeRefused("station_change_past", date=day_text(to))
    before = next_station_day(village, now, station_days)
    change = StationDayChange(village_id=village.id, day=before.regular, moved_to=to, place=place,
                              cadre_id=cadre.id if cadre else None, at=now)
    session.add(change)
    session.flush()
    after = next((info for info in upcoming_station_days(village, now, station_days, LOOKAHEAD)
                  if info.regular == before.regular), None)
    if after is None:  # today, but its half-day is already over: the message's transaction still commits
        session.delete(change)
        session.flush()
        raise StationChangeRefused("station_change_past", date=day_text(to))
    push = texts["station_move_push"].format(village=village.name, date=day_text(before.date), station=after.text)
    return before, after, _announce(session, village, cadre, push, now)


def _announce(session, village: Village, cadre: Cadre | None, content: str, now: datetime) -> int:
    """Tell the village's bound residents, in the name of the cadre or else the team's leader."""
    sender = cadre or (village.team.leader if village.team else None)
    if sender is None:
        return 0  # no leader to sign it: the change stands, nobody is pushed
    row = records.announce(session, sender, village, content, content, now)
    return row.recipients if row else 0
