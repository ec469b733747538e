"""Which attachments of a case are downloaded, and the links that show them."""
from datetime import datetime
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from models import Case, MediaFile

DOWNLOADED = frozenset({"photo", "voice", "video"})


_QUEUE = MediaFile.__table__.insert()  # one cached Core INSERT for every file of a message


def track(session, case_id: int, media: list[dict], now: datetime) -> None:
    """Queue a download for each photo, voice and video just attached to the case (same transaction)."""
    rows = [{"case_id": case_id, "kind": item["kind"], "media_id": item["media_id"], "received_at": now,
             "next_attempt_at": now, "state": "pending", "attempts": 0, "key": "", "content_type": "", "size": 0,
             "last_error": ""} for item in media if item.get("kind") in DOWNLOADED and item.get("media_id")]
    if rows:
        session.connection().execute(_QUEUE, rows)


def files(session, case_id: int) -> list[MediaFile]:
    """The case's downloaded (or downloading) files, in the order received."""
    return list(session.scalars(select(MediaFile).where(MediaFile.case_id == case_id).order_by(MediaFile.id)))


def attachments(session, case: Case, labels: dict) -> list[dict]:
    """Each attachment of the case in the order sent: kind, label, and its stored file or coordinates."""
    names = labels["attachments"]
    stored = {f.media_id: f for f in files(session, case.id)}
    shown = []
    for item in case.media or []:
        kind = item.get("kind", "")
        if kind == "location":
            shown.append({"kind": kind, "label": item.get("label") or names[kind], "latitude": item["latitude"],
                          "longitude": item["longitude"], "map": map_url(item["latitude"], item["longitude"],
                                                                        item.get("label", ""))})
            continue
        found = stored.get(item.get("media_id"))
        shown.append({"kind": kind, "label": names.get(kind, kind), "file": found,
                      "state": names["states"].get(found.state if found else "pending")})
    return shown


def map_url(latitude: float, longitude: float, label: str = "") -> str:
    """A map link for WeChat's coordinates (GCJ-02, which Amap uses as is)."""
    return f"https://uri.amap.com/marker?position={longitude},{latitude}&name={quote(label or '位置')}"


def signer(secret: str) -> URLSafeTimedSerializer:
    """Signs media links, so a cadre opens a photo from chat without logging in."""
    return URLSafeTimedSerializer(secret, salt="media-link")


def link_token(runtime, file_id: int) -> str | None:
    """A signed token for one file, or None when links are off (no dashboard secret)."""
    sign = runtime.media_signer
    return sign.dumps(file_id) if sign else None


def read_token(runtime, token: str, max_age_seconds: int) -> int | None:
    """The file id a token names, if it is genuine and not expired."""
    sign = runtime.media_signer
    try:
        return int(sign.loads(token, max_age=max_age_seconds)) if sign else None
    except (BadSignature, ValueError, TypeError):
        return None
