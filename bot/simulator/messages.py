"""What a persona sends, as the fields of WeChat's push: text, photo, voice, location, QR scan."""
import base64
import binascii
import secrets


class BadMessage(Exception):
    """The page asked for a message WeChat could not send."""


def decode_data_url(value: str) -> bytes:
    """The bytes of a ``data:image/...;base64,...`` URL."""
    try:
        return base64.b64decode(str(value).split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise BadMessage("bad image data") from None


def _number(data: dict, name: str) -> float:
    try:
        return float(data[name])
    except (KeyError, TypeError, ValueError):
        raise BadMessage(f"{name} must be a number") from None


# One second of AMR-NB (header + 50 frames of 12.2 kbit/s): the recording a voice message carries.
SILENT_AMR = b"#!AMR\n" + (b"\x3c" + bytes(31)) * 50


def build(data: dict, upload, record=None) -> tuple[str, dict]:
    """(MsgType, fields) for the page's request; ``upload(bytes)`` stores a photo and gives its MediaId.

    ``record(bytes)`` stores a voice recording on the fake WeChat (so the worker can download it).
    """
    kind = data.get("kind")
    if kind == "text":
        if not str(data.get("text") or "").strip():
            raise BadMessage("empty text")
        return "text", {"Content": str(data["text"])}
    if kind == "image":
        media_id = upload(decode_data_url(data.get("image")))
        return "image", {"PicUrl": f"http://mmbiz.qpic.cn/fake/{media_id}", "MediaId": media_id}
    if kind == "voice":
        # The recording itself is not simulated; WeChat's speech recognition result is what counts.
        media_id = record(SILENT_AMR) if record else "FAKE_VOICE_" + secrets.token_urlsafe(12)
        return "voice", {"MediaId": media_id, "Format": "amr",
                         "Recognition": str(data.get("text") or "")}
    if kind == "location":
        return "location", {"Location_X": _number(data, "latitude"), "Location_Y": _number(data, "longitude"),
                            "Scale": 15, "Label": str(data.get("label") or "")}
    if kind == "scan":
        scene = str(data.get("scene") or "")
        if not scene:
            raise BadMessage("scene required")
        ticket = "gQ" + secrets.token_urlsafe(20)
        if data.get("following"):  # a follower who scans gets SCAN with the bare scene
            return "event", {"Event": "SCAN", "EventKey": scene, "Ticket": ticket}
        return "event", {"Event": "subscribe", "EventKey": f"qrscene_{scene}", "Ticket": ticket}
    if kind == "subscribe":
        return "event", {"Event": "subscribe", "EventKey": ""}
    raise BadMessage(f"unknown kind {kind!r}")
