"""Complaints about cadres: which rostered cadres a complaint names or implies.

A complaint is about a cadre when it is classified in a township-level category (干部作风,
村务公开) or when it names a cadre of the village's team or township, or a position of the
village (村主任, 村支书, 组长 …), together with a misconduct word. Those cadres are excluded
from the case (bot/cases/permissions.py); the case goes to the township, the complainant hidden.
"""
from sqlalchemy import select

from bot.cases.routing import is_township_level
from models import Cadre, Case, CaseExclusion, Membership, Team, Village


def village_cadres(session, village: Village) -> list[tuple[Cadre, bool]]:
    """The village team's active cadres with whether each is auxiliary (the village's own), leader first."""
    people: list[tuple[Cadre, bool]] = []
    team = village.team
    if team is not None and team.leader is not None and team.leader.active:
        people.append((team.leader, False))
    if team is not None:
        rows = session.execute(select(Cadre, Membership.auxiliary).join(Membership, Membership.cadre_id == Cadre.id)
                               .where(Membership.team_id == team.id, Cadre.active.is_(True)).order_by(Membership.id))
        people += [(cadre, auxiliary) for cadre, auxiliary in rows]
    return people


def township_cadres(session, village: Village) -> list[Cadre]:
    """Active cadres of the village's township (secretary, and every team of its villages)."""
    teams = select(Village.team_id).where(Village.township_id == village.township_id)
    members = select(Membership.cadre_id).where(Membership.team_id.in_(teams))
    leaders = select(Team.leader_id).where(Team.id.in_(teams))
    return list(session.scalars(select(Cadre).where(
        Cadre.active.is_(True),
        (Cadre.id.in_(members)) | (Cadre.id.in_(leaders)) | (Cadre.township_id == village.township_id),
    ).order_by(Cadre.id)))


def named(session, village: Village, text: str, rules: dict) -> list[Cadre]:
    """Cadres the text names (by name in the township) or implies (by a position of the village)."""
    found = {cadre.id: cadre for cadre in township_cadres(session, village) if len(cadre.name) >= 2 and cadre.name in text}
    for word, implied in (rules.get("positions") or {}).items():
        if word not in text:
            continue
        for cadre, auxiliary in village_cadres(session, village):
            # Generic words (村干部) imply the village's own cadres only, never the township's staff.
            if auxiliary and any(part in (cadre.position or "") for part in implied):
                found[cadre.id] = cadre
    return list(found.values())


def accused(session, village: Village, text: str, category: str, config: dict) -> tuple[bool, list[Cadre]]:
    """Whether the complaint is about cadres, and the cadres it names or implies."""
    rules = config.get("accused") or {}
    people = named(session, village, text, rules)
    misconduct = any(word in text for word in rules.get("misconduct") or [])
    about = is_township_level(config["categories"], category) or bool(people and misconduct)
    if not about:
        return False, []
    if not people:  # 干部作风 without a name: the village's own cadres are implied
        people = [cadre for cadre, auxiliary in village_cadres(session, village) if auxiliary]
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
