"""Routing, in one place: which cadre a new case goes to, from the roster and the config.

Village + category → the team member who handles that category there; else the team leader.
Categories about the village's own cadres or committees go to the township (the secretary or a
configured discipline contact), never to the village committee.
"""
from sqlalchemy import select

from models import Cadre, Membership, Village


def is_township_level(categories: dict, category: str) -> bool:
    """Whether complaints of ``category`` concern the village's own cadres (conflict of interest)."""
    return bool((categories.get(category) or {}).get("township_level"))


def township_level_cadres(session, village: Village, routing: dict) -> list[Cadre]:
    """The township's own level: the configured discipline contact, then the township's secretaries."""
    phone = (routing or {}).get("discipline_contact_phone")
    contact = session.scalar(select(Cadre).where(Cadre.phone == str(phone), Cadre.active.is_(True))) if phone else None
    secretaries = session.scalars(select(Cadre).where(
        Cadre.role == "secretary", Cadre.township_id == village.township_id, Cadre.active.is_(True)
    ).order_by(Cadre.id)).all()
    return [contact, *secretaries] if contact else list(secretaries)


def township_handler(session, village: Village, routing: dict, exclude=frozenset()) -> Cadre | None:
    """The configured discipline contact, else the township secretary (never one of ``exclude``)."""
    return next((c for c in township_level_cadres(session, village, routing) if c.id not in exclude), None)


def county_supervisors(session, village: Village) -> list[Cadre]:
    """The active supervisors of the village's county: a case escalated to the county goes to them."""
    return session.scalars(select(Cadre).where(Cadre.role == "supervisor", Cadre.county == village.township.county,
                                               Cadre.active.is_(True)).order_by(Cadre.id)).all()


def route(session, village: Village, category: str, config: dict, exclude=frozenset(),
          township: bool = False) -> Cadre | None:
    """The cadre a new case of ``category`` in ``village`` is assigned to, never one of ``exclude``.

    ``township``: the case is about the village's cadres whatever its category (bot/cases/accused.py).
    """
    if township or is_township_level(config["categories"], category):
        return township_handler(session, village, config.get("routing"), exclude)
    if village.team_id is not None:
        # Township staff before the village's auxiliary members, roster order within each.
        members = session.scalars(select(Cadre).join(Membership, Membership.cadre_id == Cadre.id).where(
            Membership.team_id == village.team_id, Cadre.active.is_(True),
        ).order_by(Membership.auxiliary, Membership.id))
        for cadre in members:
            if category in (cadre.categories or []) and cadre.id not in exclude:
                return cadre
        leader = team_leader(village)
        if leader is not None and leader.id not in exclude:
            return leader
    return township_handler(session, village, config.get("routing"), exclude)


def team_leader(village: Village) -> Cadre | None:
    """The active leader of the village's station team."""
    leader = village.team.leader if village.team else None
    return leader if leader is not None and leader.active else None
