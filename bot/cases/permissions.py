"""Who may do what to a case, in one place.

Members act on cases routed to them or owned by them; leaders on every case of their team's
villages; secretaries on every case of their township; supervisors only read within their
county; admins work through the CLI. A cadre a complaint is about (bot/cases/accused.py) has no
relation to that case at all: it does not exist for them. Cases go (assign, transfer, 改类) only
to active members and leaders of the township's teams, or the township's own level.
"""
from sqlalchemy import exists, or_, select

from bot.cases.routing import township_level_cadres
from models import Cadre, Case, CaseExclusion, Membership, Team, Township, Village

HANDLER_ROLES = frozenset({"member", "leader", "secretary"})  # never a supervisor or an admin

READ = "detail"
# Roles that read figures of their scope: summaries by chat (周报, 超时) and the dashboard.
READERS = frozenset({"leader", "secretary", "supervisor"})
# Roles that act on every case of their scope (a team's villages, a township), beyond their own.
MANAGERS = frozenset({"leader", "secretary"})
# Before acceptance the assignee may pass a case on; afterwards only a leader or secretary may.
ASSIGNEE_ONLY_BEFORE_ACCEPT = {"transfer"}
# Closing without solving is the first handler's call (or a leader's): an assignee accepts it first.
OWNER_ONLY = {"close_unresolved"}


def scope_of(cadre: Cadre, case: Case) -> str | None:
    """How the cadre relates to the case: handler, leader, secretary, supervisor, or None."""
    if excluded(cadre, case):
        return None
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


def readable(session, cadre: Cadre, case: Case) -> bool:
    """Whether the case exists for the cadre at all (else every command says "not found").

    It does when they relate to it or to its village (its team sees it in lists anyway), never
    when it is a complaint about them.
    """
    if cadre.role == "admin" or excluded(cadre, case):
        return False
    return scope_of(cadre, case) is not None or in_scope(session, cadre, case.village_id)


def excluded(cadre: Cadre, case: Case) -> bool:
    """Whether the case is a complaint about this cadre (named or implied)."""
    return any(row.cadre_id == cadre.id for row in case.exclusions)


def not_about(cadre_id: int):
    """A where-clause for case lists: leave out the complaints about this cadre."""
    return ~exists().where(CaseExclusion.case_id == Case.id, CaseExclusion.cadre_id == cadre_id)


def handlers_of(session, case: Case, config: dict) -> list[Cadre]:
    """Everyone the case may be assigned or transferred to, township level first.

    Active leaders and members of the teams of the case's township; the township's own level
    (discipline contact, secretary) for escalated cases and complaints about cadres; never a
    supervisor or admin, never a cadre the complaint is about. A complaint about cadres never
    goes to a village's own (auxiliary) members.
    """
    village = case.village
    township_level = bool(case.escalation) or case.hidden_complainant
    teams = select(Village.team_id).where(Village.township_id == village.township_id, Village.team_id.is_not(None))
    members = select(Membership.cadre_id).where(Membership.team_id.in_(teams))
    if case.hidden_complainant:
        members = members.where(Membership.auxiliary.is_(False))
    leaders = select(Team.leader_id).where(Team.id.in_(teams))
    people = list(township_level_cadres(session, village, config.get("routing"))) if township_level else []
    people += session.scalars(select(Cadre).where(or_(Cadre.id.in_(members), Cadre.id.in_(leaders)))
                              .order_by(Cadre.id)).all()
    seen, result = set(), []
    for cadre in people:
        if cadre.id in seen or not cadre.active or cadre.role not in HANDLER_ROLES or excluded(cadre, case):
            continue
        seen.add(cadre.id)
        result.append(cadre)
    return result


def may_handle(session, cadre: Cadre, case: Case, config: dict) -> bool:
    """Whether the case may be assigned or transferred to ``cadre``."""
    return any(other.id == cadre.id for other in handlers_of(session, case, config))


def gives_verdict(case: Case, resident_id: int) -> bool:
    """Only the first reporter confirms or reopens; co-reporters get the answer (README: co-reports)."""
    return case.resident_id == resident_id


def sees_complainant(cadre: Cadre, case: Case) -> bool:
    """A complaint about the village's own cadres shows its complainant only to its handler."""
    return not case.hidden_complainant or cadre.id in (case.assignee_id, case.owner_id)


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
