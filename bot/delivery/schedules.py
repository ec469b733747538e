"""Timed jobs, run by RQ 3.0's own cron scheduler (``python -m bot scheduler``) on the job queue.

Each job runs at a fixed interval and decides from ``now`` what is due (the station-day eve,
the overdue ladder, the follow-up, the Monday summary), so a run missed while the worker was
down is caught up by the next one; the notification sources make a repeated run a no-op.
Every job takes ``now`` so tests fire it at exact times. Quiet hours are the relay's business:
rows written at night are held there.
"""
import functools
import logging
import time
from datetime import datetime

import redis
from rq.cron import CronJob, CronScheduler
from sqlalchemy import select

from bot.cases.followup import followups
from bot.cases.outbox import notify
from bot.cases.overdue import overdue_ladder
from bot.delivery import job_times
from bot.delivery.jobs import QUEUE, queue_connection
from bot.delivery.pauses import paused
from bot.delivery.relay import kick, relay_job
from bot.reports import summary_image
from bot.reports.periods import week
from bot.reports.weekly import weekly_text
from bot.runtime import current_runtime
from bot.timefmt import CHINA, time_of_day
from bot.villages.station_eve import station_eve
from models import Cadre, Team, Village, utcnow

log = logging.getLogger(__name__)

WEEKLY_KEY = "bot:schedules:weekly_summary:{date}"
RETRAIN_KEY = "bot:schedules:retrain:{date}"
# Retraining takes a minute or two on one core; RQ's default job timeout is three minutes.
RETRAIN_TIMEOUT = 1800


def _scan(write, now: datetime | None) -> int:
    """Run one reminder scan in a transaction and kick the relay when it wrote rows."""
    runtime = current_runtime()
    with runtime.Session.begin() as session:
        count = write(session, runtime.config, now or runtime.clock())
    if count:
        log.info("%s: %d notifications written", write.__name__, count)
        kick(runtime)
    return count


def recorded(name: str):
    """Note each run of a job (when, as of which time, its result or error) for ``jobs list``."""

    def decorator(job):
        @functools.wraps(job)
        def run(now: datetime | None = None):
            runtime = current_runtime()
            as_of, client = now or runtime.clock(), runtime.redis
            try:
                result = job(as_of)
            except Exception as error:
                job_times.record(client, name, utcnow(), as_of, f"error: {error.__class__.__name__}: {error}")
                raise
            job_times.record(client, name, utcnow(), as_of, result)
            return result

        return run

    return decorator


@recorded("relay")
def periodic_relay_job(now: datetime | None = None) -> int:
    """The periodic relay: rows left while Redis was down, or held in quiet hours, go out."""
    return relay_job(now)


@recorded("station_eve")
def station_eve_job(now: datetime | None = None) -> int:
    """The station-day eve lists."""
    return _scan(station_eve, now)


@recorded("overdue")
def overdue_job(now: datetime | None = None) -> int:
    """The overdue ladder."""
    return _scan(overdue_ladder, now)


@recorded("followup")
def followup_job(now: datetime | None = None) -> int:
    """The day-after follow-ups."""
    return _scan(followups, now)


@recorded("co_report")
def co_report_job(now: datetime | None = None) -> int:
    """Co-report offers nobody answered: each report is filed as its own case (never lost)."""
    from bot.cases.co_report_offer import settle_expired

    runtime = current_runtime()
    with runtime.Session.begin() as session:
        count = settle_expired(session, runtime.config, runtime.classifier, now)
    if count:
        log.info("co-report offers expired: %d filed as their own cases", count)
        kick(runtime)
    return count


@recorded("weekly_summary")
def weekly_summary_job(now: datetime | None = None) -> bool:
    """Mondays from the configured hour: write the leaders' weekly summary, once per Monday."""
    runtime = current_runtime()
    now = now or runtime.clock()
    rules = runtime.config["notifications"]["schedules"]
    local = now.astimezone(CHINA)
    if not rules["weekly_summary"] or local.weekday() != 0 or local.time() < time_of_day(rules["weekly_summary_at"]):
        return False
    key = WEEKLY_KEY.format(date=local.date().isoformat())
    if not runtime.redis.set(key, "1", nx=True, ex=8 * 86400):
        return False  # this Monday's summary already ran
    try:
        weekly_push(runtime, now)
    except BaseException:
        runtime.redis.delete(key)  # let the next run try again
        raise
    kick(runtime)
    return True


def weekly_push(runtime, now: datetime) -> int:
    """Write last week's 周报 for every active team leader (once per leader and week)."""
    config, count = runtime.config, 0
    with runtime.Session.begin() as session:
        leaders = session.scalars(select(Cadre).where(Cadre.active.is_(True), Cadre.id.in_(
            select(Team.leader_id).join(Village, Village.team_id == Team.id))).order_by(Cadre.id))
        for leader in leaders:
            villages = list(session.scalars(select(Village).join(Team, Team.id == Village.team_id)
                                            .where(Team.leader_id == leader.id).order_by(Village.id)))
            # On Monday morning the week to report is the one just finished.
            period = week(now).previous()
            text, chart = weekly_text(session, config, villages, now, period, paused(runtime.redis, now), leader.id)
            source = f"weekly:{period.start.date().isoformat()}:{leader.id}"  # reruns write nothing new
            title = config["texts"]["weekly_push_title"].format(period=period.label)
            if summary_image.too_long(config, text):
                row = summary_image.queue(session, config, leader, source, title, chart,
                                          summary_image.dashboard_link(runtime))
            else:
                row = notify(session, source, leader, "weekly_summary", text, title=title)
            count += row is not None
    log.info("weekly summary: %d leaders", count)
    return count


def retrain_job(now: datetime | None = None) -> bool:
    """Once a week at the configured time: retrain the classifier on the data plus every 改类."""
    # scikit-learn: imported here, so only the worker that runs this job loads it
    from bot.cases.retraining import retrain

    runtime = current_runtime()
    now = now or runtime.clock()
    rule = (runtime.config.get("classifier") or {}).get("retrain") or {}
    local = now.astimezone(CHINA)
    if not rule or local.weekday() != rule["weekday"] or local.time() < time_of_day(rule["at"]):
        return False
    key = RETRAIN_KEY.format(date=local.date().isoformat())
    if not runtime.redis.set(key, "1", nx=True, ex=8 * 86400):
        return False  # this week's retraining already ran
    try:
        with runtime.Session.begin() as session:
            retrain(session, runtime.config, runtime.settings.instance_path / "classifier.joblib")
    except BaseException:
        runtime.redis.delete(key)  # let the next run try again
        raise
    return True


def register(cron: CronScheduler, config: dict) -> list[CronJob]:
    """Register every timed job with RQ's cron scheduler."""
    rules = config["notifications"]["schedules"]
    scan = rules["scan_interval_seconds"]
    return [cron.register(periodic_relay_job, QUEUE, interval=rules["relay_interval_seconds"], result_ttl=0)] + [
        cron.register(job, QUEUE, interval=scan, result_ttl=600)
        for job in (station_eve_job, overdue_job, followup_job, co_report_job, weekly_summary_job)
    ] + [cron.register(retrain_job, QUEUE, interval=scan, result_ttl=600, job_timeout=RETRAIN_TIMEOUT)]


# By the names ``python -m bot jobs`` knows them.
JOBS = {"relay": periodic_relay_job, "station_eve": station_eve_job, "overdue": overdue_job,
        "followup": followup_job, "co_report": co_report_job, "weekly_summary": weekly_summary_job}


def run_scheduler(app, retry_seconds: float = 5.0) -> None:
    """Run the cron scheduler until stopped, starting it again whenever Redis comes back."""
    runtime = app.extensions["bot"]
    while True:  # not a schedule of our own: RQ's scheduler dies with its Redis connection
        cron = CronScheduler(connection=queue_connection(runtime.redis_url))
        register(cron, runtime.config)
        try:
            cron.start()  # returns on SIGINT/SIGTERM
            return
        except redis.RedisError as error:
            log.warning("scheduler: Redis unavailable (%s); retrying in %.0f s", error.__class__.__name__,
                        retry_seconds)
            time.sleep(retry_seconds)
