"""Check a roster as a whole and turn it into the state the database should end in.

Rows that are each fine may still disagree: a village in a township the file never names, one
phone given two names, two leaders for one village. Those are errors here, before anything is
written. The result is keyed by natural keys (county and names, phones), not database ids.
"""
from dataclasses import dataclass, field

from bot.roster.rows import Roster, RosterError

# A person named in several places gets the most powerful of their roles.
RANK = {"member": 0, "auxiliary": 0, "leader": 1, "secretary": 2, "supervisor": 3, "admin": 4}
ROLE = {"auxiliary": "member"}


@dataclass
class Plan:
    """The roster as the database should hold it."""

    townships: dict = field(default_factory=dict)  # (county, name) -> {code, station_weekday, station_half}
    villages: dict = field(default_factory=dict)   # (county, township, name) -> fields + leader phone
    cadres: dict = field(default_factory=dict)     # phone -> fields, role and township key
    teams: dict = field(default_factory=dict)      # leader phone -> {member phone: auxiliary?}
    listed: dict = field(default_factory=dict)     # (leader phone, member phone) -> village keys listed under


def _township(plan: Plan, roster: Roster, errors: list) -> None:
    codes = {}
    for row in roster.townships:
        key = (row.county, row.name)
        if key in plan.townships:
            errors.append(row.where.error("name", f"township {row.name} ({row.county}) appears twice"))
        if row.code and codes.setdefault(row.code, key) != key:
            errors.append(row.where.error("code", f"code {row.code} is already used by {codes[row.code][1]}"))
        plan.townships[key] = {"code": row.code, "station_weekday": row.weekday, "station_half": row.half}
    for row in roster.villages:
        key = (row.county, row.township, row.name)
        if (row.county, row.township) not in plan.townships:
            errors.append(row.where.error("township", f"township {row.township} ({row.county}) is not in the file"))
        elif key in plan.villages:
            errors.append(row.where.error("name", f"village {row.name} appears twice in {row.township}"))
        plan.villages[key] = {"aliases": row.aliases, "place": row.place, "remote": row.remote,
                              "anchor": row.anchor, "leader": None, "where": row.where}


def _place(plan: Plan, person, errors: list):
    """Check that the village, township or county a person is placed in exists in the file."""
    if person.kind in ("leader", "member", "auxiliary"):
        key = (person.county, person.township, person.village)
        if key not in plan.villages:
            errors.append(person.where.error("village", f"village {person.village} ({person.township}) is not in the file"))
            return None
        return key
    if person.kind == "secretary" and (person.county, person.township) not in plan.townships:
        errors.append(person.where.error("township", f"township {person.township} is not in the file"))
    return None


def _people(plan: Plan, roster: Roster, errors: list) -> None:
    secretaries = set()
    for person in roster.people:
        village = _place(plan, person, errors)
        known = plan.cadres.get(person.phone)
        if known and known["name"] != person.name:
            errors.append(person.where.error("phone", f"{person.phone} is also given to {known['name']}"))
            continue
        cadre = known or {"name": person.name, "position": "", "wechat": "", "wecom_userid": None,
                          "categories": [], "kind": person.kind, "county": person.county,
                          "township": (person.county, person.township) if person.township else None}
        for name in ("position", "wechat", "wecom_userid"):
            cadre[name] = cadre[name] or getattr(person, name) or cadre[name]
        cadre["categories"] = cadre["categories"] + [c for c in person.categories if c not in cadre["categories"]]
        if RANK[person.kind] > RANK[cadre["kind"]]:
            cadre.update(kind=person.kind, county=person.county or cadre["county"],
                         township=(person.county, person.township) if person.township else cadre["township"])
        plan.cadres[person.phone] = cadre
        if person.kind == "secretary":
            if (person.county, person.township) in secretaries:
                errors.append(person.where.error("role", f"township {person.township} already has a secretary"))
            secretaries.add((person.county, person.township))
        if village and person.kind == "leader":
            if plan.villages[village]["leader"]:
                errors.append(person.where.error("role", f"village {person.village} already has a leader"))
            plan.villages[village]["leader"] = person.phone
    for cadre in plan.cadres.values():
        cadre["role"] = ROLE.get(cadre["kind"], cadre["kind"])


def _teams(plan: Plan, roster: Roster, errors: list) -> None:
    """One team per leader: villages that share a leader share the team (a leader covers 1-2)."""
    for key, village in plan.villages.items():
        if not village["leader"]:
            errors.append(village["where"].error("team", f"village {key[2]} has no team leader"))
        else:
            plan.teams.setdefault(village["leader"], {})
    for person in roster.people:
        leader = plan.villages.get((person.county, person.township, person.village), {}).get("leader")
        if person.kind in ("member", "auxiliary") and leader and person.phone != leader:
            team = plan.teams[leader]
            # Listed as a member somewhere and auxiliary elsewhere: a full member.
            team[person.phone] = team.get(person.phone, True) and person.kind == "auxiliary"
            plan.listed.setdefault((leader, person.phone), []).append((person.county, person.township, person.village))


def make_plan(roster: Roster) -> Plan:
    """Check the roster as a whole; raise RosterError listing every inconsistency."""
    plan, errors = Plan(), []
    _township(plan, roster, errors)
    _people(plan, roster, errors)
    _teams(plan, roster, errors)
    if errors:
        raise RosterError(errors)
    return plan
