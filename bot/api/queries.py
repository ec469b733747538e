"""``GET requests.json``: the standard Open311 filters, plus jurisdiction (county) and village."""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bot.api.errors import ApiError
from bot.cases import case_life
from bot.roster.names import name_key
from bot.timefmt import CHINA
from models import Case, Township, Village
from models.roster import VillageName

DEFAULT_DAYS = 90  # Open311: without dates, the last 90 days
MAX_RESULTS = 1000


def parse_time(name: str, value: str) -> datetime:
    """An ISO 8601 time; without a zone it is China time; 400 when malformed."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 date-time, e.g. 2026-12-01T08:00:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def known_county(session, jurisdiction: str | None) -> str:
    """The ``jurisdiction_id`` asked for ("" when none); 404 when no township is in that county."""
    county = (jurisdiction or "").strip()
    if county and session.scalar(select(Township.id).where(Township.county == county).limit(1)) is None:
        raise ApiError(404, f"jurisdiction_id {county} not found")
    return county


def search(session, args: dict, config: dict, now: datetime) -> list[Case]:
    """The cases ``args`` ask for, newest first (at most 1000)."""
    query = (select(Case).join(Village, Case.village_id == Village.id).join(Township)
             .options(joinedload(Case.village).joinedload(Village.township)))
    if numbers := [n.strip() for n in (args.get("service_request_id") or "").split(",") if n.strip()]:
        query = query.where(Case.number.in_(numbers))
    else:  # Open311: the id list overrides every other filter
        query = _filtered(session, query, args, config, now)
    try:
        limit = min(int(args.get("page_size") or MAX_RESULTS), MAX_RESULTS)
        page = int(args.get("page") or 1)
    except ValueError:
        raise ApiError(400, "page and page_size must be whole numbers") from None
    if limit < 1 or page < 1:
        raise ApiError(400, "page and page_size start at 1")
    return list(session.scalars(query.order_by(Case.received_at.desc(), Case.id.desc())
                                .limit(limit).offset((page - 1) * limit)).unique())


def _filtered(session, query, args: dict, config: dict, now: datetime):
    """Apply service_code, status, dates, jurisdiction_id and village."""
    if codes := [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]:
        unknown = [c for c in codes if c not in config["categories"]]
        if unknown:
            raise ApiError(404, f"service_code {','.join(unknown)} not found")
        query = query.where(Case.category.in_(codes))
    if statuses := {s.strip() for s in (args.get("status") or "").split(",") if s.strip()}:
        if statuses - {"open", "closed"}:
            raise ApiError(400, "status must be open or closed")
        if statuses == {"open"}:
            query = query.where(Case.state.in_(case_life.OPEN))
        elif statuses == {"closed"}:
            query = query.where(Case.state.not_in(case_life.OPEN))
    end = parse_time("end_date", args["end_date"]) if args.get("end_date") else None
    start = parse_time("start_date", args["start_date"]) if args.get("start_date") else None
    if start is None and end is None:
        start = now - timedelta(days=DEFAULT_DAYS)
    if start and end and start > end:
        raise ApiError(400, "start_date is after end_date")
    if start:
        query = query.where(Case.received_at >= start)
    if end:
        query = query.where(Case.received_at <= end)
    if county := known_county(session, args.get("jurisdiction_id")):
        query = query.where(Township.county == county)
    if village := (args.get("village") or "").strip():
        if village.isdigit():
            query = query.where(Case.village_id == int(village))
        else:
            ids = select(VillageName.village_id).where(VillageName.key == name_key(village))
            if session.scalar(ids.limit(1)) is None:
                raise ApiError(404, f"village {village} not found")
            query = query.where(Case.village_id.in_(ids))
    return query
