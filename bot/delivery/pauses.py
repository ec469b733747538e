"""When pushes must wait: a channel whose daily quota ran out, and the quiet hours at night.

A quota pause (WeChat's 45009) is kept in Redis, so every worker sees it, and expires by itself
at midnight China time when WeChat resets the quota.
"""
import logging
from datetime import datetime, time, timedelta

import redis

from bot.timefmt import CHINA, time_of_day

log = logging.getLogger(__name__)

PAUSE_KEY = "bot:notify:paused:{channel}"


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in China time, when WeChat's daily quotas reset."""
    local = now.astimezone(CHINA)
    return datetime.combine(local.date() + timedelta(days=1), time(0), CHINA)


def pause(client: redis.Redis, channel: str, now: datetime) -> datetime:
    """Pause ``channel`` until the quota resets; returns when."""
    until = next_quota_reset(now)
    log.warning("channel %s paused until %s China time: daily quota reached (45009)",
                channel, until.strftime("%Y-%m-%d %H:%M"))
    try:
        client.set(PAUSE_KEY.format(channel=channel), until.isoformat(),
                   ex=max(1, int((until - now).total_seconds())))
    except redis.RedisError as error:
        log.warning("could not store the pause of %s (%s)", channel, error.__class__.__name__)
    return until


def paused_until(client: redis.Redis, channel: str, now: datetime) -> datetime | None:
    """When ``channel`` may be used again, or None when it is not paused."""
    try:
        value = client.get(PAUSE_KEY.format(channel=channel))
    except redis.RedisError:
        return None  # cannot tell: try the channel, WeChat will say 45009 again if need be
    if value is None:
        return None
    until = datetime.fromisoformat(value.decode())
    return until if until > now else None


def paused(client: redis.Redis, now: datetime) -> dict[str, datetime]:
    """Every paused channel and its end, for the leaders' summary."""
    from bot.delivery.channels import CUSTOMER_SERVICE, TEMPLATE, WECOM

    found = {channel: paused_until(client, channel, now) for channel in (CUSTOMER_SERVICE, TEMPLATE, WECOM)}
    return {channel: until for channel, until in found.items() if until}


def in_quiet_hours(now: datetime, cfg: dict) -> bool:
    """Whether ``now`` falls in the quiet hours (China time), which may span midnight."""
    start, end = time_of_day(cfg["quiet_hours"]["start"]), time_of_day(cfg["quiet_hours"]["end"])
    moment = now.astimezone(CHINA).time()
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end
