"""Village QR codes: the scene string ``village_<id>``, permanent tickets, and their PNG images.

WeChat delivers a scanned scene as ``qrscene_village_12`` (subscribe) or ``village_12`` (SCAN);
the gateway strips the prefix, so handlers see ``village_12``. The id is the database id, which
re-imports of the roster never change.
"""
import re
from pathlib import Path

import qrcode
from sqlalchemy import select

from models import Village

SCENE = re.compile(r"village_(\d{1,12})")


def scene_for(village: Village) -> str:
    """The QR scene string of a village."""
    return f"village_{village.id}"


def village_for_scene(session, scene: str) -> Village | None:
    """The village a scanned scene names, or None for another or a stale code."""
    match = SCENE.fullmatch(scene.removeprefix("qrscene_"))
    if not match:
        return None
    return session.scalar(select(Village).where(Village.id == int(match.group(1))))


def ensure_qrcode(api, village: Village, refresh: bool = False) -> str:
    """The village's permanent QR URL, asking WeChat for a ticket the first time (or on refresh)."""
    if refresh or not village.qr_url:
        village.qr_ticket, village.qr_url = api.create_qrcode(scene_for(village))
    return village.qr_url


def write_png(url: str, path: Path) -> Path:
    """Write the QR image of ``url`` as a PNG file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    qrcode.make(url, box_size=10, border=2).save(path)
    return path
