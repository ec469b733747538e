"""Deliver claimed notifications: pick the channel, call WeChat, record what happened.

Runs in the worker. A row is ours while it is ``sending`` with the attempt number (the fence)
its claim gave it; every write back is conditional on that, so a worker that lost its lease
never overwrites another's result.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update

from bot.delivery import channels, summary_push, webhooks
from bot.delivery.channels import CUSTOMER_SERVICE, WECOM, Target
from bot.delivery.errors import Outcome, backoff, classify, describe
from bot.delivery.pauses import pause, paused_until
from bot.delivery.waiting import WAITING, too_old
from bot.reports import summary_image
from bot.runtime import current_runtime
from bot.timefmt import stamp
from bot.wechat.client import WeChatApi, WeChatApiError
from models import Cadre, Case, InboundMessage, Notification, Resident

log = logging.getLogger(__name__)


def deliver_job(claims: list[tuple[int, int]]) -> None:
    """RQ job: deliver each claimed (notification id, attempt) pair."""
    runtime = current_runtime()
    for notification_id, attempt in claims:
        deliver(runtime, notification_id, attempt)


@dataclass
class _Push:
    """What a send needs, read from the database before any network call."""

    row: Notification
    target: Target | None  # None for a webhook
    number: str


def deliver(runtime, notification_id: int, attempt: int, now: datetime | None = None) -> str | None:
    """Try one claimed notification and record the result; returns its new state (None: not ours)."""
    now = now or runtime.clock()
    cfg = runtime.config["notifications"]
    push = _load(runtime, notification_id, attempt, now, cfg)
    if push is None:
        return None
    outcome = _webhook(runtime, push, now, cfg) if push.row.recipient_kind == webhooks.CHANNEL else \
        _attempt(runtime, push, now, cfg)
    _record(runtime, push.row, outcome, now, cfg)
    return outcome.state


def _load(runtime, notification_id: int, attempt: int, now: datetime, cfg: dict) -> _Push | None:
    """The row and its recipient, if the claim is still ours with time enough left to send."""
    with runtime.Session() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.state != "sending" or row.attempts != attempt:
            log.info("notification %s: claim %s no longer ours, skipped", notification_id, attempt)
            return None
        if row.next_attempt_at - now < timedelta(seconds=cfg["send_budget_seconds"]):
            if not _renew(runtime, row, now, cfg):
                return None
        number = session.scalar(select(Case.number).where(Case.id == row.case_id)) if row.case_id else ""
        target = None if row.recipient_kind == webhooks.CHANNEL else _target(session, row)
        return _Push(row, target, number or "")


def _renew(runtime, row: Notification, now: datetime, cfg: dict) -> bool:
    """Extend the lease of a row that waited long in the queue, unless it was claimed again meanwhile.

    The attempt number is the fence: a relay's new claim bumps it in one atomic UPDATE, so either
    that claim or this renewal wins, never both.
    """
    lease = now + timedelta(seconds=cfg["lease_seconds"])
    with runtime.Session.begin() as session:
        renewed = session.execute(update(Notification).where(
            Notification.id == row.id, Notification.state == "sending", Notification.attempts == row.attempts,
        ).values(next_attempt_at=lease).execution_options(synchronize_session=False)).rowcount
    if not renewed:
        log.info("notification %s: claimed again while queued, skipped", row.id)
    return bool(renewed)


def _target(session, row: Notification) -> Target:
    """Where the recipient can be reached, and when they last wrote (opens the 48-hour window)."""
    if row.recipient_kind == "resident":
        resident = session.get(Resident, row.recipient_id)
        return Target("resident", resident.openid, None, resident.last_message_at)
    cadre = session.get(Cadre, row.recipient_id)
    last = None
    if cadre.openid:
        last = session.scalar(select(func.max(InboundMessage.sent_at)).where(InboundMessage.openid == cadre.openid))
    return Target("cadre", cadre.openid, cadre.wecom_userid, last)


def _attempt(runtime, push: _Push, now: datetime, cfg: dict) -> Outcome:
    """Try the planned channels in order, falling back as WeChat's answers allow."""
    api = runtime.wechat_api
    planned = channels.plan(push.target, now, cfg, api.has_wecom)
    if not planned:
        if push.target.kind == "cadre" and not too_old(push.row, now, cfg):
            return Outcome(WAITING, error=cfg["texts"]["waiting_unbound"])  # until they bind (bot/delivery/waiting.py)
        return Outcome("given_up", error=cfg["texts"]["gave_up_unbound"])
    resume_at, error = None, ""
    for channel in planned:
        until = paused_until(runtime.redis, channel, now)
        if until:
            resume_at, error = min(until, resume_at or until), f"{channel}: paused until {until.isoformat()}"
            continue
        if channel == CUSTOMER_SERVICE and not channels.reserve_customer_service(runtime.redis, push.target, cfg):
            continue  # this window's 5 messages are used up
        try:
            _send(api, channel, push, now, cfg)
            return Outcome("sent", channel=channel)
        except WeChatApiError as failure:
            error = describe(channel, failure)
            verdict = classify(channel, failure)
            if verdict == "quota":
                until = pause(runtime.redis, channel, now)
                resume_at = min(until, resume_at or until)
            if verdict not in ("fallback", "quota"):
                return _after_failure(verdict, error, push.row.attempts, now, cfg)
            log.info("notification %s: %s, trying the next channel", push.row.id, error)
    if resume_at:
        return Outcome("deferred", error=error, retry_at=resume_at)
    return Outcome("given_up", error=error or "no channel left")


def _webhook(runtime, push: _Push, now: datetime, cfg: dict) -> Outcome:
    """Deliver a case event to a webhook subscriber (bot/delivery/webhooks.py), same retry rules."""
    try:
        return webhooks.attempt(runtime, push.row, now, cfg)
    except webhooks.WebhookFailure as failure:
        return _after_failure(failure.verdict, failure.error, push.row.attempts, now, cfg)


def _after_failure(verdict: str, error: str, attempts: int, now: datetime, cfg: dict) -> Outcome:
    """given_up for a final error or the last attempt, else a retry after a jittered backoff."""
    if verdict == "final":
        return Outcome("given_up", error=error)
    if attempts >= cfg["max_attempts"]:
        return Outcome("given_up", error=f"gave up after {attempts} attempts: {error}")
    return Outcome("failed", error=error, retry_at=now + backoff(attempts, cfg))


def _send(api: WeChatApi, channel: str, push: _Push, now: datetime, cfg: dict) -> None:
    """One call to WeChat on ``channel``."""
    row, target = push.row, push.target
    if row.kind == summary_image.KIND:  # a chart: upload + image message
        summary_push.send(api, channel, target, row, cfg)
    elif channel == WECOM:
        api.send_wecom_text(target.wecom_userid, row.content)
    elif channel == CUSTOMER_SERVICE:
        api.send_text(target.openid, row.content)
    else:
        texts = cfg["texts"]
        hint = texts.get(f"{row.kind}_hint", texts["template_hint"]).format(number=push.number) if push.number else ""
        values = {"title": row.title or row.content.splitlines()[0], "number": push.number,
                  "time": stamp(row.created_at), "hint": hint}
        template_id, data = channels.template_message(cfg, row.kind, values)
        api.send_template(target.openid, template_id, data)


def _record(runtime, row: Notification, outcome: Outcome, now: datetime, cfg: dict) -> None:
    """Write the outcome, only if the claim is still ours (its attempt number unchanged)."""
    values = {"last_error": outcome.error[:2000]}
    if outcome.state == "sent":
        values |= {"state": "sent", "channel": outcome.channel, "sent_at": now, "last_error": ""}
    elif outcome.state == "given_up":
        values |= {"state": "given_up"}
        log.warning("notification %s to %s %s given up: %s", row.id, row.recipient_kind, row.recipient_id,
                    outcome.error)
    elif outcome.state == WAITING:  # not an attempt: the count starts afresh once they bind
        values |= {"state": WAITING, "attempts": Notification.attempts - 1}
    elif outcome.state == "deferred":  # not the recipient's fault: the attempt is given back
        values |= {"state": case((Notification.attempts > 1, "failed"), else_="pending"),
                   "attempts": Notification.attempts - 1, "next_attempt_at": outcome.retry_at}
    else:
        values |= {"state": "failed", "next_attempt_at": outcome.retry_at}
    with runtime.Session.begin() as session:
        done = session.execute(update(Notification).where(
            Notification.id == row.id, Notification.state == "sending", Notification.attempts == row.attempts,
        ).values(**values).execution_options(synchronize_session=False)).rowcount
    if not done:
        log.warning("notification %s: lease lost before recording %s; another worker has it", row.id,
                    outcome.state)
