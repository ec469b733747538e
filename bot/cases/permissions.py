"""Who may do what to a case, in one place.

Members act on cases routed to them or owned by them; leaders on every case of their team's
villages; secretaries on every case of their township; supervisors only read within their
county; admins work through the CLI.
"""
from sqlalchemy import or_, select

from models import Cadre, Case, Membership, Team, Township, Village

READ = "detail"
# Roles that read figures of their scope: summaries by chat (周报, 超时) and the dashboard.
READERS = frozenset({"leader", "secretary", "supervisor"})
# Roles that act on every case of their scope (a team's villages, a township), beyond their own.
MANAGERS = frozenset({"leader", "secretary"})
# Before acceptance the assignee may pass a case on; afterwards only a leader or secretary may.
ASSIGNEE_ONLY_BEFORE_ACCEPT = {"transfer"}
# Closing without solving is the first handler's call (or a leader's): an assignee accepts it first.
# Writing to the reporters too: an assignee accepts first, so the villager hears from one person.
OWNER_ONLY = {"close_unresolved", "close_request", "reply"}


def scope_of(cadre: Cadre, case: Case) -> str | None:
    """How the cadre relates to the case: handler, leader, secretary, supervisor, or None."""
    village = case.village
    if cadre.role == "secretary" and cadre.township_id == village.township_id:
        return "secretary"
    if cadre.role == "supervisor" and cadre.county and cadre.county == village.township.county:
        return "supervisor"
    if village.team is not None and village.team.leader_id == cadre.id:
        return "leader"
    if cadre.id in (case.assignee_id, case.owner_id):
        return "handler"
    return None


def can(cadre: Cadre, case: Case, action: str) -> bool:
    """Whether ``cadre`` may take ``action`` (``detail`` to read) on ``case``."""
    scope = scope_of(cadre, case)
    if scope is None or cadre.role == "admin":
        return False
    if scope == "supervisor":
        return action == READ
    if action == "escalate_county":
        return scope == "secretary"
    if scope == "handler" and action in ASSIGNEE_ONLY_BEFORE_ACCEPT:
        return case.owner_id is None and case.assignee_id == cadre.id
    if scope == "handler" and action in OWNER_ONLY:
        return case.owner_id == cadre.id
    return True


def sees_complainant(cadre: Cadre, case: Case) -> bool:
    """A complaint about the village's own cadres shows its complainant only to its handler."""
    return not case.hidden_complainant or cadre.id in (case.assignee_id, case.owner_id)


def sees_phone(cadre: Cadre, case: Case) -> bool:
    """A phone the resident left is for the case's owner alone (not the leader, not the assignee)."""
    return case.owner_id is not None and case.owner_id == cadre.id


def village_scope(cadre: Cadre):
    """A select of the ids of the villages whose figures and cases the cadre may read."""
    if cadre.role == "secretary":
        return select(Village.id).where(Village.township_id == cadre.township_id)
    if cadre.role == "supervisor":
        return select(Village.id).join(Township, Township.id == Village.township_id).where(
            Township.county == cadre.county, Township.county != "")
    led = select(Team.id).where(Team.leader_id == cadre.id)
    if cadre.role == "leader":
        return select(Village.id).where(Village.team_id.in_(led))
    if cadre.role == "admin":
        return select(Village.id).where(Village.id.is_(None))
    member_of = select(Membership.team_id).where(Membership.cadre_id == cadre.id)
    return select(Village.id).where(or_(Village.team_id.in_(member_of), Village.team_id.in_(led)))


def in_scope(session, cadre: Cadre, village_id: int) -> bool:
    """Whether ``village_id`` is among the villages the cadre may read."""
    return village_id in set(session.scalars(village_scope(cadre)))
