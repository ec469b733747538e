"""The operator's CLI: ``jobs list`` / ``jobs run`` and ``station list|cancel|move``."""
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from bot.roster.names import village_keys
from bot.timefmt import CHINA
from models import Notification, StationDayChange
from models.roster import VillageName
from tests.roster_fixture import build, resident


@pytest.fixture
def run(monkeypatch, settings_overrides, runtime):
    """Run ``python -m bot ARGS`` on the test database and Redis, with the small roster loaded."""
    for name, value in settings_overrides.items():
        monkeypatch.setenv(name, value)
    with runtime.Session.begin() as session:
        r = build(session)
        for name in ("ah", "bo"):
            resident(session, f"o_{name}", r["village"])
        village = r["village"]  # found by name as a roster import would index it
        session.add_all(VillageName(village=village, key=key) for key in village_keys(village.name, village.aliases))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


def stored(runtime, model, **where):
    with runtime.Session() as session:
        return session.scalars(select(model).filter_by(**where).order_by(model.id)).all()


def test_jobs_run_fires_a_job_as_if_at_a_time_once(run, runtime):
    """The eve of Tuesday 24 Nov: 新高园村's team (leader, three members) and 东风村's leader get the lists, once."""
    first = run("jobs", "run", "station_eve", "--at", "2026-11-23 18:00")
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "station_eve as of 2026-11-23 18:00 CST: 5"
    assert len(stored(runtime, Notification, kind="station_eve")) == 5
    assert run("jobs", "run", "station_eve", "--at", "2026-11-23 18:30").output.strip().endswith(": 0")
    assert run("jobs", "run", "station_eve", "--at", "2026-11-23 17:59").output.strip().endswith(": 0")  # too early
    assert len(stored(runtime, Notification, kind="station_eve")) == 5


def test_jobs_list_shows_schedules_next_and_last_runs(run):
    run("jobs", "run", "overdue", "--at", "2026-11-23 18:00")
    output = run("jobs", "list").output
    soon = (datetime.now(timezone.utc) + timedelta(days=45)).astimezone(CHINA).date()
    calendar_ends = soon.year > max(chinese_calendar.holidays).year
    assert output.startswith(f"warning: China's holiday calendar (chinesecalendar) has no data for {soon.year}") \
        == calendar_ends  # said before time limits fall back to Monday-Friday
    lines = {line.split()[0]: line for line in output.splitlines()[1 + calendar_ends:]}
    assert list(lines) == ["relay", "station_eve", "overdue", "followup", "co_report", "weekly_summary"]
    assert "every 300 s" in lines["overdue"] and lines["overdue"].endswith(" 0")  # nothing overdue: 0 rows
    assert "daily 18:00" in lines["station_eve"] and "never" in lines["station_eve"]
    next_monday = lines["weekly_summary"].split()[3]
    assert date.fromisoformat(next_monday).weekday() == 0 and "08:00" in lines["weekly_summary"]


@pytest.mark.parametrize("args, message", [
    (("jobs", "run", "nightly"), "no job 'nightly'; the jobs are: relay, station_eve, overdue, followup, co_report, weekly_summary"),
    (("jobs", "run", "overdue", "--at", "tomorrow"), "expected a China time like"),
])
def test_jobs_run_refuses_unknown_names_and_times(run, runtime, args, message):
    result = run(*args)
    assert result.exit_code == 2 and message in result.output
    assert stored(runtime, Notification) == []


def test_station_cancel_and_move_from_the_cli_take_effect_and_tell_residents(run, runtime):
    listed = run("station", "list", "新高园村", "--count", "3").output.splitlines()
    first, second, third = (date.fromisoformat(line.split()[0]) for line in listed)
    assert second - first == timedelta(weeks=1)
    cancelled = run("station", "cancel", "新高园村", first.isoformat())
    assert cancelled.exit_code == 0, cancelled.output
    assert "2 bound residents told" in cancelled.output
    assert run("station", "list", "新高园村").output.split()[0] == second.isoformat()
    moved = run("station", "move", "新高园", (second + timedelta(days=2)).isoformat(), "--place", "村文化室")
    assert moved.exit_code == 0 and "村文化室" in moved.output
    assert run("station", "list", "新高园村").output.startswith(f"{second + timedelta(days=2)}")
    assert len(stored(runtime, StationDayChange)) == 2
    assert len(stored(runtime, Notification, kind="announcement")) == 4


@pytest.mark.parametrize("args, message", [
    (("station", "cancel", "新高园村", "2月30日"), "expected a date like"),
    (("station", "cancel", "无名村", "12月8日"), "expected exactly one match, found none"),
    (("station", "move", "新高园村", "2020-01-01"), "已经过去了"),
])
def test_station_cli_refuses_bad_input_and_changes_nothing(run, runtime, args, message):
    result = run(*args)
    assert result.exit_code != 0 and message in result.output
    assert stored(runtime, StationDayChange) == [] and stored(runtime, Notification) == []


def test_station_cancel_of_a_day_without_station_day_names_the_coming_ones(run, runtime):
    first = date.fromisoformat(run("station", "list", "新高园村").output.split()[0])
    result = run("station", "cancel", "新高园村", (first + timedelta(days=1)).isoformat())
    assert result.exit_code == 1 and "没有驻点。接下来的驻点日：" in result.output
    assert stored(runtime, StationDayChange) == []
