"""Complaints about cadres: which rostered cadres a complaint names or implies.

A complaint is about a cadre when it is classified in a township-level category (干部作风,
村务公开) or when it names a cadre of the village's team or township, or a position of the
village (村主任, 村支书, 组长 …), together with a misconduct word. Those cadres are excluded
from the case (bot/cases/permissions.py); the case goes to the township, the complainant hidden.
"""
from bot.cases import roster_view
from bot.cases.routing import is_township_level
from bot.roster.facts import CadreFact
from models import Case, CaseExclusion


def village_cadres(session, village_id: int) -> list[tuple[CadreFact, bool]]:
    """The village team's active cadres with whether each is auxiliary (the village's own), leader first."""
    village = roster_view.village(session, village_id)
    people = [(village.leader, False)] if village.leader is not None else []
    return people + [(member.cadre, member.auxiliary) for member in village.members]


def named(session, village_id: int, text: str, rules: dict) -> list[CadreFact]:
    """Cadres the text names (by name in the township) or implies (by a position of the village)."""
    township = roster_view.village(session, village_id).township_id
    found = {cadre.id: cadre for cadre in roster_view.township_cadres(session, township)
             if len(cadre.name) >= 2 and cadre.name in text}
    for word, implied in (rules.get("positions") or {}).items():
        if word not in text:
            continue
        for cadre, auxiliary in village_cadres(session, village_id):
            # Generic words (村干部) imply the village's own cadres only, never the township's staff.
            if auxiliary and any(part in (cadre.position or "") for part in implied):
                found[cadre.id] = cadre
    return list(found.values())


def accused(session, village_id: int, text: str, category: str, config: dict) -> tuple[bool, list[CadreFact]]:
    """Whether the complaint is about cadres, and the cadres it names or implies (from the roster facts)."""
    rules = config.get("accused") or {}
    people = named(session, village_id, text, rules)
    misconduct = any(word in text for word in rules.get("misconduct") or [])
    about = is_township_level(config["categories"], category) or bool(people and misconduct)
    if not about:
        return False, []
    if not people:  # 干部作风 without a name: the village's own cadres are implied
        people = [cadre for cadre, auxiliary in village_cadres(session, village_id) if auxiliary]
    return True, people


def exclude(session, case: Case, cadres) -> None:
    """Record ``cadres`` as kept away from ``case`` (once each)."""
    have = {row.cadre_id for row in case.exclusions}
    for cadre in cadres:
        if cadre.id not in have:
            case.exclusions.append(CaseExclusion(cadre_id=cadre.id))
            have.add(cadre.id)


def excluded_ids(case: Case) -> set[int]:
    """The ids of the cadres kept away from ``case``."""
    return {row.cadre_id for row in case.exclusions}
