"""The dashboard's filters (township, village, category, period), always narrowed to the cadre's scope."""
from dataclasses import dataclass

from flask import request
from sqlalchemy import select

from bot.cases.permissions import village_scope
from bot.reports import periods
from models import Township, Village, utcnow

PERIODS = {"week": "本周", "last_week": "上周", "month": "本月", "last_month": "上月",
           "30d": "近30天", "90d": "近90天", "365d": "近一年"}


@dataclass
class Filters:
    """What the visitor asked for, and the villages that leaves within their scope."""

    township_id: int | None
    village_id: int | None
    category: str
    period_name: str
    period: periods.Period
    villages: list[int]  # in scope and matching the township/village filters
    now: object

    def args(self, **changes) -> dict:
        """The query arguments that reproduce these filters (for links and chart URLs)."""
        values = {"township": self.township_id, "village": self.village_id, "category": self.category,
                  "period": self.period_name} | changes
        return {k: v for k, v in values.items() if v not in (None, "")}


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def parse(db, cadre) -> Filters:
    """Read the filters from the request; anything outside the cadre's scope simply selects nothing."""
    now = utcnow()
    name = request.args.get("period", "month")
    name = name if name in PERIODS else "month"
    township_id, village_id = _int("township"), _int("village")
    query = select(Village.id).where(Village.id.in_(village_scope(cadre)))
    if township_id:
        query = query.where(Village.township_id == township_id)
    if village_id:
        query = query.where(Village.id == village_id)
    return Filters(township_id, village_id, request.args.get("category", "").strip(), name,
                   periods.named(name, now), list(db.scalars(query.order_by(Village.id))), now)


def choices(db, cadre) -> dict:
    """The townships and villages the cadre may pick from."""
    villages = list(db.scalars(select(Village).where(Village.id.in_(village_scope(cadre))).order_by(Village.id)))
    towns = list(db.scalars(select(Township).where(Township.id.in_({v.township_id for v in villages}))
                            .order_by(Township.id)))
    return {"townships": towns, "villages": villages, "periods": PERIODS}
