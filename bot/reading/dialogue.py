"""The short-lived dialogue state: the question the bot just asked, so the next message answers it."""
from datetime import datetime, timedelta


def ask(resident, asked: str, now: datetime, **data) -> None:
    """Remember that the bot asked ``asked`` (village | verdict) of this resident, with its data."""
    resident.dialogue = {"asked": asked, "at": now.isoformat(), **data}


def asked(resident, now: datetime, minutes: float) -> dict | None:
    """The open question to this resident, or None when there is none or it is older than ``minutes``."""
    state = resident.dialogue or {}
    if not state.get("asked"):
        return None
    if datetime.fromisoformat(state["at"]) < now - timedelta(minutes=minutes):
        return None
    return state


def clear(resident) -> None:
    """The question was answered (or overtaken): forget it."""
    if resident.dialogue:
        resident.dialogue = {}
