"""Routing, in one place: which cadre a new case goes to, and why, from the roster and the config.

As the contact card says: village + category → the member listed under that village for the
category; else a member of the team with the category (a team serves 1-2 villages); else the
team leader.
Categories about the village's own cadres or committees go to the township (the secretary or a
configured discipline contact), never to the village committee. The reason is a short Chinese
phrase kept in the assign entry of the ledger: the receipt and 详情 show it.
"""
from dataclasses import dataclass

from sqlalchemy import select

from bot.cases import roster_view
from bot.roster.facts import CadreFact
from models import Cadre, Village


def is_township_level(categories: dict, category: str) -> bool:
    """Whether complaints of ``category`` concern the village's own cadres (conflict of interest)."""
    return bool((categories.get(category) or {}).get("township_level"))


def township_level(session, village_id: int, routing: dict) -> list[CadreFact]:
    """The township's own level: the configured discipline contact, then the township's secretaries."""
    phone = (routing or {}).get("discipline_contact_phone")
    contact = roster_view.by_phone(session, str(phone)) if phone else None
    secretaries = roster_view.village(session, village_id).secretaries
    return [contact, *secretaries] if contact else list(secretaries)


def township_level_cadres(session, village: Village, routing: dict) -> list[Cadre]:
    """``township_level``, as the cadres themselves (to assign or notify)."""
    return [session.get(Cadre, c.id) for c in township_level(session, village.id, routing)]


def township_handler(session, village: Village, routing: dict, exclude=frozenset()) -> Cadre | None:
    """The configured discipline contact, else the township secretary (never one of ``exclude``)."""
    found = next((c for c in township_level(session, village.id, routing) if c.id not in exclude), None)
    return session.get(Cadre, found.id) if found is not None else None


def county_supervisors(session, village: Village) -> list[Cadre]:
    """The active supervisors of the village's county: a case escalated to the county goes to them."""
    return session.scalars(select(Cadre).where(Cadre.role == "supervisor", Cadre.county == village.township.county,
                                               Cadre.active.is_(True)).order_by(Cadre.id)).all()


@dataclass(frozen=True)
class Routed:
    """Who a case goes to (None: nobody on the roster) and why, in the words a reader sees."""

    cadre: CadreFact | None  # the roster's fact: ``session.get(Cadre, cadre.id)`` to assign it through the ORM
    reason: str


def route(session, village: Village, category: str, config: dict, exclude=frozenset(),
          township: bool = False) -> CadreFact | None:
    """The cadre a new case of ``category`` in ``village`` is assigned to, never one of ``exclude``."""
    return route_why(session, village.id, category, config, exclude, township).cadre


def route_why(session, village_id: int, category: str, config: dict, exclude=frozenset(),
              township: bool = False) -> Routed:
    """The cadre a case of ``category`` in the village goes to, with the reason; never one of ``exclude``.

    ``township``: the case is about the village's cadres whatever its category (bot/cases/accused.py).
    Read from the roster facts: no statement once they are cached.
    """
    routing = config.get("routing")

    def township_handler() -> CadreFact | None:
        return next((c for c in township_level(session, village_id, routing) if c.id not in exclude), None)

    if township or is_township_level(config["categories"], category):
        return Routed(township_handler(), f"{category}由镇里直接办理")
    village = roster_view.village(session, village_id)
    if village.team_id is not None:
        # Township staff before the village's auxiliary members, roster order within each.
        handles = [m for m in village.members_for(category) if m.cadre.id not in exclude]
        for member in handles:
            if member.listed:
                return Routed(member.cadre, f"联系卡上{village.name}的{category}联系人")
        if handles:
            return Routed(handles[0].cadre, f"驻点团队中负责{category}")
        leader = village.leader
        if leader is not None and leader.id not in exclude:
            return Routed(leader, f"团队无人负责{category}，由组长办理")
    return Routed(township_handler(), "村未安排驻点团队，由镇里办理")


def team_leader(village: Village) -> Cadre | None:
    """The active leader of the village's station team."""
    leader = village.team.leader if village.team else None
    return leader if leader is not None and leader.active else None
