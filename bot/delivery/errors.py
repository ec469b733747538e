"""What a failed push means: fall back, pause, retry later or give up; and how long to wait.

Token errors (40001/42001) never get here: ``WeChatApi`` refreshes and retries them itself.
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.channels import CUSTOMER_SERVICE, WECOM
from bot.wechat.client import WECOM_INVALID_USER, WeChatApiError

OUTSIDE_WINDOW = frozenset({45015, 45047})  # outside the 48 hours, or the window's messages used up
DAILY_QUOTA = 45009
UNFOLLOWED = 43004


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt: sent, failed (retry at), deferred (retry at), given_up."""

    state: str
    channel: str = ""
    error: str = ""
    retry_at: datetime | None = None


def classify(channel: str, failure: WeChatApiError) -> str:
    """fallback (try the next channel), quota, final (give up) or transient (retry later)."""
    code = failure.errcode
    if channel == CUSTOMER_SERVICE and code in OUTSIDE_WINDOW:
        return "fallback"
    if channel == WECOM and code == WECOM_INVALID_USER:
        return "fallback"  # WeCom does not know the user: the official account may still reach them
    if code == DAILY_QUOTA:
        return "quota"
    if code == UNFOLLOWED:
        return "final"
    # -1, timeouts, network errors and 5xx are WeChat's trouble; other codes may be a setting
    # being fixed (a template id): both get the backoff, then given_up at the attempt limit.
    return "transient"


def describe(channel: str, failure: WeChatApiError) -> str:
    """One line for ``last_error`` and the logs."""
    status = f" (HTTP {failure.http_status})" if failure.http_status else ""
    if failure.errcode == UNFOLLOWED:
        return f"{channel}: 43004 the user unfollowed the account"
    return f"{channel}: {failure.errcode} {failure.errmsg}{status}"


def backoff(attempts: int, cfg: dict, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff after the ``attempts``-th try, capped, scaled by a 0.5-1.5 jitter."""
    base = cfg["backoff_base_seconds"] * 2 ** max(attempts - 1, 0)
    seconds = min(base, cfg["backoff_max_seconds"]) * (rng or random).uniform(0.5, 1.5)
    return timedelta(seconds=seconds)
