"""``python -m bot jobs list`` / ``jobs run NAME [--at TIME]``: the timed jobs, on demand."""
import sys
from datetime import datetime, timedelta

import click

from bot.commands.base import settings

CALENDAR_NOTICE = timedelta(days=45)  # how far ahead ``jobs list`` looks for the holiday calendar's end


def _china_time(text: str) -> datetime:
    """``"2026-12-02 08:00"`` read in China time."""
    from bot.timefmt import CHINA

    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected a China time like \"2026-12-02 08:00\"") from None


@click.group()
def jobs() -> None:
    """The timed jobs: what runs when, and running one now."""


@jobs.command("list")
def list_jobs() -> None:
    """Each job, its schedule, its next run and its last run with the result (China time)."""
    from bot import create_app
    from bot.delivery import job_times
    from bot.delivery.schedules import JOBS
    from bot.timefmt import CHINA, HolidayCalendarMissing, holiday_name
    from models import utcnow

    settings()
    runtime = create_app().extensions["bot"]
    rules, now, last = runtime.config["notifications"]["schedules"], utcnow(), job_times.last_runs(runtime.redis)
    shown = "%Y-%m-%d %H:%M"
    try:  # time limits count weekdays only beyond the holiday calendar's data: say so before it matters
        holiday_name((now + CALENDAR_NOTICE).astimezone(CHINA).date())
    except HolidayCalendarMissing as missing:
        click.echo(f"warning: {missing}")
    click.echo(f"{'job':<16}{'schedule':<16}{'next run':<19}{'last run':<19}result")
    for name in JOBS:
        ran = last.get(name)
        when = f"{datetime.fromisoformat(ran['at']).astimezone(CHINA):{shown}}" if ran else "never"
        upcoming = f"{job_times.next_run(name, rules, now, ran).astimezone(CHINA):{shown}}"
        click.echo(f"{name:<16}{job_times.schedule_text(name, rules):<16}{upcoming:<19}{when:<19}"
                   f"{ran['result'] if ran else '-'}")


@jobs.command("run")
@click.argument("name")
@click.option("--at", "at", help='Run as if at this China time, e.g. "2026-12-02 08:00" (default: now).')
def run_job(name: str, at: str | None) -> None:
    """Run the job NAME once now (idempotent like the scheduled run: nobody is told twice)."""
    from bot import create_app
    from bot.delivery.schedules import JOBS
    from bot.timefmt import CHINA
    from models import utcnow

    if name not in JOBS:
        click.echo(f"no job {name!r}; the jobs are: {', '.join(JOBS)}", err=True)
        sys.exit(2)
    moment = _china_time(at) if at else utcnow().astimezone(CHINA)
    settings()
    app = create_app()
    with app.app_context():
        result = JOBS[name](now=moment)
    click.echo(f"{name} as of {moment:%Y-%m-%d %H:%M %Z}: {result}")
