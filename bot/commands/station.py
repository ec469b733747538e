"""``python -m bot station list|cancel|move``: a village's coming station days, cancelled or moved at once."""
import sys
from datetime import datetime, timezone

import click

from bot.commands.base import sessions, settings, village_arg


def _day(text: str, today):
    from bot.timefmt import parse_day

    day = parse_day(text, today)
    if day is None:
        raise click.BadParameter(f"{text!r}: expected a date like 2026-12-08 or 12月8日")
    return day


@click.group()
def station() -> None:
    """Station days: list the coming ones, cancel or move one (residents are told)."""


@station.command("list")
@click.argument("village")
@click.option("--count", default=4, show_default=True, type=int)
def list_days(village: str, count: int) -> None:
    """The village's next COUNT station days."""
    from bot.villages.station_day import upcoming_station_days

    station_days = settings().config.get("station_days") or {}
    with sessions()() as session:
        place = village_arg(session, village)
        for info in upcoming_station_days(place, datetime.now(timezone.utc), station_days, count):
            moved = f"  (moved from {info.regular:%Y-%m-%d})" if info.regular != info.date else ""
            click.echo(f"{info.date:%Y-%m-%d} {info.text}{moved}")


@station.command("cancel")
@click.argument("village")
@click.argument("day")
def cancel(village: str, day: str) -> None:
    """Cancel the VILLAGE's station day on DAY and tell its bound residents."""
    _change(village, day, None)


@station.command("move")
@click.argument("village")
@click.argument("day")
@click.option("--place", default="", help="Where, when not the village's usual place.")
def move(village: str, day: str, place: str) -> None:
    """Move the VILLAGE's next station day to DAY and tell its bound residents."""
    _change(village, day, place)


def _change(village: str, day: str, place: str | None) -> None:
    """Cancel (``place`` None) or move a station day, commit, and say what residents were told."""
    from bot.timefmt import CHINA
    from bot.villages import station_changes

    config = settings().config
    now = datetime.now(timezone.utc)
    station_days, texts = config.get("station_days") or {}, config["texts"]
    with sessions()() as session:
        target = village_arg(session, village)
        when = _day(day, now.astimezone(CHINA).date())
        try:
            if place is None:
                following, told = station_changes.cancel(session, target, when, now, station_days, texts)
                said = f"cancelled {when:%Y-%m-%d}; next: {following.text}"
            else:
                _, after, told = station_changes.move(session, target, when, now, station_days, texts, place)
                said = f"moved to {after.text}"
        except station_changes.StationChangeRefused as refused:
            click.echo(texts[refused.key].format(**refused.fields), err=True)
            sys.exit(1)
        session.commit()
    click.echo(f"{target.name}: {said}; {told} bound residents told")
