"""When each timed job runs next and how its last run went, for ``python -m bot jobs list``.

The scheduler runs every job at a fixed interval and each decides from ``now`` what is due, so a
job's "next run" is when it next has something to do: the interval for the relay and the overdue
ladder, the configured hour for the eve, the follow-up and the Monday summary.
"""
import json
from datetime import datetime, timedelta

import redis

from bot.timefmt import CHINA, time_of_day

LAST_KEY = "bot:jobs:last"  # hash: job name -> JSON {at, as_of, result}


def schedule_text(name: str, rules: dict) -> str:
    """The job's schedule in words, e.g. ``daily 18:00`` or ``every 300 s``."""
    return {"relay": f"every {rules['relay_interval_seconds']} s",
            "overdue": f"every {rules['scan_interval_seconds']} s",
            "station_eve": f"daily {rules['station_eve_at']}",
            "followup": f"daily {rules['followup_at']}",
            "co_report": f"every {rules['scan_interval_seconds']} s",
            "weekly_summary": f"Mondays {rules['weekly_summary_at']}"}[name]


def next_run(name: str, rules: dict, now: datetime, last: dict | None) -> datetime:
    """When the job next has work: after its interval, or at its next configured hour (China time)."""
    if name in ("relay", "overdue", "co_report"):
        seconds = rules["relay_interval_seconds" if name == "relay" else "scan_interval_seconds"]
        since = datetime.fromisoformat(last["at"]) if last else now
        return max(since + timedelta(seconds=seconds), now)
    at = time_of_day(rules[{"station_eve": "station_eve_at", "followup": "followup_at",
                      "weekly_summary": "weekly_summary_at"}[name]])
    local = now.astimezone(CHINA)
    moment = datetime.combine(local.date(), at, CHINA)
    while moment <= local or (name == "weekly_summary" and moment.weekday() != 0):
        moment += timedelta(days=1)
    return moment


def record(client: redis.Redis, name: str, now: datetime, as_of: datetime, result) -> None:
    """Remember a run; never fails the job (a dead Redis only loses the note)."""
    try:
        client.hset(LAST_KEY, name, json.dumps({"at": now.isoformat(), "as_of": as_of.isoformat(),
                                                "result": str(result)}))
    except redis.RedisError:
        pass


def last_runs(client: redis.Redis) -> dict[str, dict]:
    """Each job's last recorded run (empty when none, or Redis is down)."""
    try:
        return {key.decode(): json.loads(value) for key, value in client.hgetall(LAST_KEY).items()}
    except redis.RedisError:
        return {}
