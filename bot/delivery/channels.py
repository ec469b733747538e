"""Which way a push goes: the channel rules for residents and cadres, in one place.

Residents get a customer-service message while WeChat's 48-hour window since their last message
is open (at most 5 per window), else a template message. Cadres get a WeCom app message when the
roster has their WeCom id and WeCom is configured, else the official account by openid.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis


log = logging.getLogger(__name__)

CUSTOMER_SERVICE = "customer_service"
TEMPLATE = "template"
WECOM = "wecom"
FIELD_LIMIT = 20  # characters in one template field, on one line
CS_KEY = "bot:notify:cs:{openid}:{opened}"


@dataclass(frozen=True)
class Target:
    """Where one person can be reached: openid, WeCom id, and when they last wrote to us."""

    kind: str  # cadre | resident
    openid: str | None
    wecom_userid: str | None
    last_message_at: datetime | None


def window_open(target: Target, now: datetime, cfg: dict) -> bool:
    """Whether WeChat still lets us send this person customer-service messages."""
    hours = cfg["customer_service"]["window_hours"]
    return target.last_message_at is not None and now - target.last_message_at < timedelta(hours=hours)


def plan(target: Target, now: datetime, cfg: dict, has_wecom: bool) -> list[str]:
    """The channels to try, in order; empty when the person cannot be reached at all."""
    channels = []
    if target.kind == "cadre" and target.wecom_userid and has_wecom:
        channels.append(WECOM)
    if target.openid:
        if window_open(target, now, cfg):
            channels.append(CUSTOMER_SERVICE)
        channels.append(TEMPLATE)  # always last: the only channel WeChat allows outside the window
    return channels


def reserve_customer_service(client: redis.Redis, target: Target, cfg: dict) -> bool:
    """Count one customer-service message in the person's window; False when the limit is reached.

    The count lives in Redis keyed by the window's opening message, so a new message from the
    person starts a fresh count. Without Redis we cannot count, so the template is used.
    """
    rule = cfg["customer_service"]
    key = CS_KEY.format(openid=target.openid, opened=int(target.last_message_at.timestamp()))
    try:
        with client.pipeline() as pipe:
            count, _ = pipe.incr(key).expire(key, int(rule["window_hours"] * 3600)).execute()
    except redis.RedisError as error:
        log.warning("customer-service count unavailable (%s); using a template", error.__class__.__name__)
        return False
    return count <= rule["per_window"]


def one_line(text: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters (the last one an ellipsis when cut)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def template_message(cfg: dict, kind: str, values: dict) -> tuple[str, dict]:
    """The template id and data for a push of ``kind``; ``values`` has title, number, time, hint."""
    template = cfg["templates"].get(kind) or cfg["templates"]["default"]
    data = {name: {"value": one_line(values.get(source) or "-")} for name, source in template["fields"].items()}
    return template["id"], data

