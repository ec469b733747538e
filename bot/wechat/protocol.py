"""WeChat's server-side protocol: verify, decrypt and parse a push, and render the reply.

Everything wechatpy is kept here; the rest of the app sees ``handlers.message.Message``.
"""
import struct
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from handlers.message import Message

# What garbage makes wechatpy and xmltodict raise (a repeated tag becomes a list: TypeError,
# AttributeError); collected once so every caller rejects the same way.
PARSE_ERRORS = (ExpatError, KeyError, ValueError, TypeError, AttributeError, IndexError, struct.error,
                UnicodeDecodeError, OverflowError, OSError)  # the last two: a CreateTime beyond time_t


# Field bounds checked before any work: real openids have 28 characters, MsgIds are 64-bit
# integers (at most 20 digits), event names are short words. Longer means forged.
MAX_ID_CHARS = 64
MAX_MSG_ID_DIGITS = 20
MAX_EVENT_CHARS = 32


class Rejected(Exception):
    """The request is refused with ``status`` and a short plain ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    """A parsed push: the message, our account id (the reply's sender), and whether it was AES."""

    message: Message
    account: str
    encrypted: bool


class Protocol:
    """Verifies and parses pushes for one official account."""

    def __init__(self, token: str, app_id: str, aes_key: str | None, tolerance: int, mode: str = "") -> None:
        self.token = token
        self.tolerance = tolerance
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        # plaintext | compatible | safe (bot/settings.py checks it; safe by default with a key).
        self.mode = mode or ("safe" if aes_key else "plaintext")

    def handshake(self, args) -> str:
        """Check the GET handshake and return the ``echostr`` to echo."""
        self._check_signature(args)
        return args.get("echostr", "")

    def read(self, args, body: bytes, now: float | None = None) -> Envelope:
        """Verify and parse a POST body; raise Rejected with the reason otherwise."""
        self._check_signature(args)
        self._check_fresh(args.get("timestamp", ""), now or time.time())
        if not body.strip():
            raise Rejected(400, "empty body")
        # WeChat never sends a DTD: refusing one stops XXE and entity-expansion bombs outright.
        if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
            raise Rejected(400, "DTD not allowed")
        # The query's signature does not cover the body: a captured query string signs any
        # plaintext body for minutes. Only msg_signature covers the Encrypt element, so an
        # Encrypt anywhere is always verified, and safe mode accepts nothing else.
        encrypted = b"<Encrypt" in body
        if not encrypted and (self.mode == "safe" or args.get("encrypt_type", "raw") == "aes"):
            raise Rejected(403, "body must be encrypted")
        xml = self._decrypt(args, body) if encrypted else body
        return Envelope(*self._parse(xml), encrypted)

    def render(self, envelope: Envelope, reply: str | None, nonce: str) -> str:
        """Render a text reply (encrypted when the push was), or ``success`` for no reply."""
        if not reply:
            return "success"
        # TextReply puts the text in CDATA unescaped: split any "]]>" so a resident's echoed
        # text cannot close the section and inject XML.
        safe = reply.replace("]]>", "]]]]><![CDATA[>")
        xml = TextReply(source=envelope.account, target=envelope.message.sender, content=safe).render()
        if envelope.encrypted:
            return self.crypto.encrypt_message(xml, nonce)
        return xml

    def _check_signature(self, args) -> None:
        try:
            check_signature(self.token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
        except InvalidSignatureException:
            raise Rejected(403, "bad signature") from None

    def _check_fresh(self, timestamp: str, now: float) -> None:
        if not timestamp.isdigit() or abs(int(timestamp) - now) > self.tolerance:
            raise Rejected(403, "stale or missing timestamp")

    def _decrypt(self, args, body: bytes) -> str:
        if self.crypto is None:
            raise Rejected(400, "safe mode is not configured")
        try:
            return self.crypto.decrypt_message(
                body, args.get("msg_signature", ""), args.get("timestamp", ""), args.get("nonce", "")
            )
        except InvalidSignatureException:
            raise Rejected(403, "bad msg_signature") from None
        except InvalidAppIdException:
            raise Rejected(400, "message is for another account") from None
        except Exception as exc:  # the cipher layer raises assorted errors (and PARSE_ERRORS) on bad input
            raise Rejected(400, f"cannot decrypt ({exc.__class__.__name__})") from None

    def _parse(self, xml) -> tuple[Message, str]:
        try:
            parsed = parse_message(xml)
            return to_message(parsed), _bounded(parsed.target, MAX_ID_CHARS, "ToUserName")
        except FieldTooLong as exc:
            raise Rejected(400, str(exc)) from None
        except PARSE_ERRORS as exc:
            raise Rejected(400, f"malformed message ({exc.__class__.__name__})") from None


def _text(value) -> str:
    """Return a field as text, refusing repeated tags (lists) and nested elements (dicts)."""
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise TypeError("repeated or nested tag")
    return str(value).replace("\x00", "")  # PostgreSQL text cannot hold NUL; WeChat never sends one


class FieldTooLong(ValueError):
    """A field longer than WeChat ever sends (checked before it reaches the database)."""


def _bounded(value, limit: int, name: str) -> str:
    """A field as text, refusing it when longer than ``limit`` characters."""
    text = _text(value)
    if len(text) > limit:
        raise FieldTooLong(f"{name} too long")
    return text


def _number(value) -> float | None:
    return float(_text(value)) if value not in (None, "") else None


def to_message(parsed) -> Message:
    """Translate a wechatpy message or event into our plain Message."""
    sender = _bounded(parsed.source, MAX_ID_CHARS, "FromUserName")
    if not sender:
        raise ValueError("no FromUserName")
    kind = parsed.type if parsed.type != "unknown" else "unknown"
    fields = dict(
        sender=sender,
        kind="event" if kind == "event" else kind,
        time=datetime.fromtimestamp(parsed.create_time.timestamp(), timezone.utc),
        # unknown kinds carry id 0: no id
        msg_id=_bounded(getattr(parsed, "id", None) or None, MAX_MSG_ID_DIGITS, "MsgId"),
    )
    if kind == "text":
        fields["text"] = _text(parsed.content)
    elif kind == "voice":
        fields.update(media_id=_text(parsed.media_id), text=_text(parsed.recognition))
    elif kind in ("image", "video", "shortvideo"):
        fields["media_id"] = _text(parsed.media_id)
    elif kind == "location":
        latitude, longitude = parsed.location
        fields.update(latitude=_number(latitude), longitude=_number(longitude), label=_text(parsed.label))
    elif kind == "link":
        fields.update(text=_text(parsed.title), url=_text(parsed.url))
    elif kind == "event":
        fields.update(_event_fields(parsed))
    return Message(**fields)


def _event_fields(parsed) -> dict:
    event = _bounded(parsed.event, MAX_EVENT_CHARS, "Event").lower()
    if event == "subscribe_scan" or event == "scan":
        return {"event": event, "event_key": _text(parsed.scene_id)}
    if event == "click":
        return {"event": event, "event_key": _text(parsed.key)}
    if event == "view":
        return {"event": event, "url": _text(parsed.url)}
    if event == "location":
        return {"event": event, "latitude": _number(parsed.latitude), "longitude": _number(parsed.longitude)}
    return {"event": event}
