"""Conversations with the bot at the inbox level, with a clock the test controls.

``Chat.say`` builds the same ``Message`` the gateway would and passes it through
``bot.inbox.receive.receive`` (de-duplication, transaction, registry), so tests read as dialogs.
"""
from datetime import datetime, timedelta

from bot.inbox.receive import receive
from handlers.message import Message
from tests.wechat import new_msg_id


class Chat:
    """Talk to the bot as any openid; ``tick`` moves the clock."""

    def __init__(self, runtime, now: datetime) -> None:
        self.runtime = runtime
        self.now = now

    def tick(self, **delta) -> None:
        """Advance the clock by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)

    def send(self, openid: str, kind: str = "text", **fields) -> str | None:
        """Send a message of any kind and return the reply."""
        message = Message(sender=openid, kind=kind, time=self.now, msg_id=fields.pop("msg_id", new_msg_id()), **fields)
        return receive(self.runtime, message, now=self.now)

    def say(self, openid: str, text: str) -> str | None:
        """Send a text message and return the reply."""
        return self.send(openid, text=text)

    def dialog(self, steps) -> None:
        """Play ``(openid, said, expected fragments...)`` steps, asserting each reply holds its fragments."""
        for openid, said, *expected in steps:
            reply = self.say(openid, said) or ""
            for fragment in expected:
                assert fragment in reply, f"{openid} said {said!r}; expected {fragment!r} in:\n{reply}"
