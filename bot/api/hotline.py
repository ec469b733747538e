"""Cases from the 12345 hotline: a client's POST filed exactly as chat intake files a message.

The caller is not a WeChat user, so each (client, village) has one stand-in ``Resident`` whose
openid starts with ``api:``; the outbox never pushes to it (its answers go out by webhook). The
ledger names the client as actor (``actor_kind='api'``, the client's id and name in ``data``).
"""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.api.errors import ApiError
from bot.api.keys import Caller
from bot.cases.case_life import co_report
from bot.cases.classifier import Classification
from bot.cases.filing import find_co_report, open_case
from bot.roster.names import find_villages
from models import ApiRequest, Case, Resident, Village
from models.api import STAND_IN_PREFIX

MAX_TEXT = 2000
PHONE = re.compile(r"\+?[0-9][0-9 -]{2,18}")


@dataclass(frozen=True)
class Filed:
    """The case a POST filed or joined, and the request's token."""

    case: Case
    token: str
    how: str  # new | co_report


def _text(form: dict, name: str, limit: int) -> str:
    """A trimmed optional field, 400 when longer than ``limit``."""
    value = str(form.get(name) or "").strip()
    if len(value) > limit:
        raise ApiError(400, f"{name} is longer than {limit} characters")
    return value


def village_of(session, form: dict, county: str) -> Village:
    """The village a POST names (``address_id`` = village id, or ``address_string``/``village`` = name)."""
    by_id = _text(form, "address_id", 20)
    name = _text(form, "village", 64) or _text(form, "address_string", 64)
    if by_id:
        if not by_id.isdigit():
            raise ApiError(400, "address_id must be a village id (digits)")
        found = [v for v in [session.get(Village, int(by_id))] if v is not None and v.team_id is not None]
    elif name:
        found = find_villages(session, name)
    else:
        raise ApiError(400, "a village is required: address_string (its name) or address_id (its id)")
    if not found:
        raise ApiError(404, f"village {by_id or name} not found")
    if not (found := [v for v in found if v.township.county == county]):
        raise ApiError(403, f"village {by_id or name} is outside county:{county}")
    if len(found) > 1:
        choices = ", ".join(f"{v.township.name}{v.name} (address_id {v.id})" for v in found)
        raise ApiError(400, f"village {name} is ambiguous: {choices}")
    return found[0]


def _coordinates(form: dict) -> dict | None:
    """A location item from ``lat``/``long``, or None; 400 when malformed or out of range."""
    lat, long = form.get("lat"), form.get("long")
    if lat in (None, "") and long in (None, ""):
        return None
    try:
        latitude, longitude = float(lat), float(long)
    except (TypeError, ValueError):
        raise ApiError(400, "lat and long must both be decimal degrees") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ApiError(400, "lat or long out of range")
    return {"kind": "location", "latitude": latitude, "longitude": longitude, "label": ""}


def stand_in(session, client_id: int, village: Village, now: datetime) -> Resident:
    """The client's stand-in resident of ``village`` (created once, race-free)."""
    openid = f"{STAND_IN_PREFIX}{client_id}:{village.id}"
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Resident).values(openid=openid, village_id=village.id, bound_at=now, pending_text="",
                                            pending_choices=[]).on_conflict_do_nothing())
    return session.scalar(select(Resident).where(Resident.openid == openid))


def file_request(session, caller: Caller, form: dict, config: dict, classifier, now: datetime) -> Filed:
    """Check a POSTed request and file it as a new case or a co-report; ApiError changes nothing."""
    if caller.client_id is None:
        raise ApiError(401, "api_key is required to create a request")
    if not caller.can_write:
        raise ApiError(403, f"api_key of {caller.name} may only read")
    jurisdiction = _text(form, "jurisdiction_id", 64)
    if jurisdiction and jurisdiction != caller.county:
        raise ApiError(403, f"api_key of {caller.name} may not file in {jurisdiction}")
    description = _text(form, "description", MAX_TEXT)
    if not description:
        raise ApiError(400, "description is required")
    code = _text(form, "service_code", 32)
    if code and code not in config["categories"]:
        raise ApiError(404, f"service_code {code} not found")
    last, first = _text(form, "last_name", 32), _text(form, "first_name", 32)
    caller_name = f"{first} {last}".strip() if (last + first).isascii() else last + first  # 张三, John Smith
    phone = _text(form, "phone", 20)
    if phone and not PHONE.fullmatch(phone):
        raise ApiError(400, "phone must be a telephone number")
    place = _coordinates(form)
    village = village_of(session, form, caller.county)
    verdict = Classification(code, 1.0, ()) if code else classifier.classify(description)
    resident = stand_in(session, caller.client_id, village, now)
    actor = ("api", caller.client_id, {"client": caller.name, "caller_name": caller_name})
    twin = find_co_report(session, village.id, verdict.category, description, config, now)
    if twin is not None:
        co_report(session, twin, resident, description, now, actor=actor)
        case, how = twin, "co_report"
    else:
        case, how = open_case(session, resident, description, verdict, config, now, [place] if place else [],
                              actor=actor), "new"
    token = secrets.token_urlsafe(24)
    session.add(ApiRequest(token=token, client_id=caller.client_id, case=case, caller_name=caller_name,
                           caller_phone=phone, created_at=now))
    return Filed(case, token, how)
