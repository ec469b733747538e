"""The plain data a handler receives: the message and who sent it."""
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Message:
    """One message or event from a WeChat user, free of SDK objects.

    ``kind`` is the message type (text, image, voice, video, shortvideo, location, link) or
    ``event``; for events ``event`` is subscribe, subscribe_scan, scan, click, view, location,
    unsubscribe, and ``event_key`` its key (a QR scene without its ``qrscene_`` prefix).
    """

    sender: str
    kind: str
    time: datetime
    msg_id: str = ""
    text: str = ""
    media_id: str = ""
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    url: str = ""
    event: str = ""
    event_key: str = ""

    @property
    def dedupe_key(self) -> str:
        """The key WeChat retries share: MsgId, or sender + time + event for events."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.sender}:{int(self.time.timestamp())}:{self.event}"


@dataclass(frozen=True)
class Sender:
    """Who wrote: a resident (possibly not yet bound) or a cadre with a role."""

    openid: str
    role: str = "resident"
    cadre_id: int | None = None
    resident_id: int | None = None
