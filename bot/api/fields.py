"""The field mapping: a case as an Open311 service request, in the view the caller may have.

Everyone sees category, state, village, township and times. A client of the case's county also
sees the text, the answer (``status_notes``), the location and, for a case it filed, the caller —
never a resident's openid or phone, and nothing of the reporter of a hidden complaint.
"""
from datetime import datetime

from sqlalchemy import func, select

from bot.api.keys import Caller
from bot.cases import case_life
from bot.timefmt import CHINA
from models import ApiRequest, Case, CaseEvent


def iso(moment: datetime | None) -> str | None:
    """W3C date-time in China time, as Open311 writes it (``2026-12-01T09:30:00+08:00``)."""
    return moment.astimezone(CHINA).isoformat(timespec="seconds") if moment else None


def status(state: str) -> str:
    """Open311's two statuses: ``open`` until resolved, confirmed or closed."""
    return "open" if state in case_life.OPEN else "closed"


def location(case: Case) -> tuple[float | None, float | None]:
    """The last location sent with the case, if any."""
    for item in reversed(case.media or []):
        if item.get("kind") == "location" and item.get("latitude") is not None:
            return float(item["latitude"]), float(item["longitude"])
    return None, None


def last_changes(session, case_ids: list[int]) -> dict[int, datetime]:
    """The time of each case's latest ledger entry."""
    if not case_ids:
        return {}
    rows = session.execute(select(CaseEvent.case_id, func.max(CaseEvent.at))
                           .where(CaseEvent.case_id.in_(case_ids)).group_by(CaseEvent.case_id))
    return dict(rows.all())


def filed_by(session, case_ids: list[int]) -> dict[int, ApiRequest]:
    """The API request that filed each case, for cases a client filed."""
    if not case_ids:
        return {}
    return {row.case_id: row for row in session.scalars(select(ApiRequest).where(ApiRequest.case_id.in_(case_ids)))}


def service_request(case: Case, caller: Caller, updated: datetime | None, request: ApiRequest | None) -> dict:
    """One case as an Open311 service request, trimmed to what ``caller`` may see."""
    village, township = case.village, case.village.township
    item = {
        "service_request_id": case.number,
        "status": status(case.state),
        "service_code": case.category,
        "service_name": case.category,
        "agency_responsible": township.name,
        "address": village.name,
        "address_id": str(village.id),
        "requested_datetime": iso(case.received_at),
        "updated_datetime": iso(max(filter(None, (updated, case.received_at)))),
        "expected_datetime": iso(case.resolve_due_at),
        "extended_attributes": {
            "state": case.state, "village": village.name, "township": township.name, "county": township.county,
            "urgent": case.urgent, "escalation": case.escalation or None,
            "contact_due_datetime": iso(case.contact_due_at), "accepted_datetime": iso(case.accepted_at),
            "resolved_datetime": iso(case.resolved_at),
        },
    }
    if not caller.sees_text(township.county):
        return item
    lat, long = location(case)
    item |= {"description": case.text, "status_notes": case.answer or None, "lat": lat, "long": long}
    extra = item["extended_attributes"]
    extra["reporters"] = case.reporters
    if request is not None and not case.hidden_complainant:
        extra["reported_by"] = {"client": request.client.name, "caller_name": request.caller_name or None}
    return item
