"""Webhook deliveries: a subscriber's case event POSTed as JSON, signed, in order per case.

The outbox row's content is the body. Headers: ``X-Open311-Timestamp`` (Unix seconds) and
``X-Open311-Signature: sha256=<hex>``, an HMAC-SHA256 with the subscriber's secret over
``<timestamp>.<body>``, so a receiver can check both the body and its freshness;
``X-Open311-Delivery`` (the row's id) lets it drop a repeat. The notifier gives these rows the
same retry, backoff and give-up rules as pushes.
"""
import hashlib
import hmac
from datetime import datetime, timedelta

import requests
from sqlalchemy import select

from bot.delivery.errors import Outcome
from models import Notification, WebhookSubscriber

CHANNEL = "webhook"
WAIT_FOR_EARLIER = timedelta(seconds=1)  # floor on how soon a held event is tried again


class WebhookFailure(Exception):
    """A delivery that did not go through: ``verdict`` is final or transient (as for pushes)."""

    def __init__(self, verdict: str, error: str) -> None:
        super().__init__(error)
        self.verdict = verdict
        self.error = error


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def earlier_undelivered(session, row: Notification) -> Notification | None:
    """An earlier event of the same case for the same subscriber that is still on its way."""
    return session.scalar(select(Notification).where(
        Notification.recipient_kind == CHANNEL, Notification.recipient_id == row.recipient_id,
        Notification.case_id == row.case_id, Notification.id < row.id,
        Notification.state.not_in(("sent", "given_up"))).order_by(Notification.id).limit(1))


def attempt(runtime, row: Notification, now: datetime, cfg: dict) -> Outcome:
    """POST one event; deferred while an earlier one of its case waits; raises WebhookFailure."""
    with runtime.Session() as session:
        subscriber = session.get(WebhookSubscriber, row.recipient_id)
        if subscriber is None or not subscriber.active:
            return Outcome("given_up", error="webhook: subscriber removed")
        earlier = earlier_undelivered(session, row)
        url, secret = subscriber.url, subscriber.secret
    if earlier is not None:  # in order per case: wait for it (not counted as an attempt)
        retry_at = max(earlier.next_attempt_at, now) + WAIT_FOR_EARLIER
        return Outcome("deferred", error=f"webhook: waits for notification {earlier.id}", retry_at=retry_at)
    body = row.content.encode()
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "zhudian-bot-open311",
               "X-Open311-Event": row.title, "X-Open311-Delivery": str(row.id), "X-Open311-Timestamp": timestamp,
               "X-Open311-Signature": signature(secret, timestamp, body)}
    try:
        response = requests.post(url, data=body, headers=headers, timeout=cfg["http_timeout_seconds"],
                                 allow_redirects=False)
    except requests.RequestException as error:
        raise WebhookFailure("transient", f"webhook: {error.__class__.__name__}") from None
    if 200 <= response.status_code < 300:
        return Outcome("sent", channel=CHANNEL)
    # 410 Gone: the receiver says it is gone for good (like an unfollow); anything else may pass.
    verdict = "final" if response.status_code == 410 else "transient"
    raise WebhookFailure(verdict, f"webhook: HTTP {response.status_code}")
