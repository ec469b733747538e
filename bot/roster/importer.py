"""Import a roster file: read, check as a whole, then apply all of it or (on any error) nothing."""
import logging
from collections import Counter
from pathlib import Path

from sqlalchemy import delete, insert, select, update

from bot.roster import read_roster
from bot.roster.apply import CHUNK, assign_codes, sync, sync_cadres, sync_teams
from bot.roster.names import village_keys
from bot.roster.plan import Plan, make_plan
from models import Membership, Township, Village
from models.roster import VillageName

log = logging.getLogger(__name__)


def _delete(session, model, ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):  # bounded IN lists: SQLite caps bound parameters
        session.execute(delete(model).where(model.id.in_(ids[start:start + CHUNK])))


def _villages(session, plan: Plan, towns: dict, teams: dict, counts: Counter) -> dict:
    desired = {(towns[(county, town)], name): {"aliases": v["aliases"], "place": v["place"], "remote": v["remote"],
                                               "anchor": v["anchor"], "team_id": teams[v["leader"]]}
               for (county, town, name), v in plan.villages.items()}
    ids = sync(session, Village, ("township_id", "name"), desired, counts, "villages")
    # Villages missing from the file stay (residents and cases point at them) but lose their
    # team: they are no longer offered for binding nor exported.
    gone = {vid for key, vid in ids.items() if key not in desired}
    detach = [{"id": row.id, "team_id": None} for row in session.execute(select(Village.id, Village.team_id))
              if row.id in gone and row.team_id is not None]
    if detach:
        session.execute(update(Village), detach)
    counts["villages detached (not in file)"] += len(detach)
    return {key: ids[key] for key in desired}


def _names(session, plan: Plan, villages: dict, towns: dict, counts: Counter) -> None:
    """Keep the lookup keys of ``绑定 <村名>`` equal to each village's name and aliases."""
    desired = {(villages[(towns[(county, town)], name)], key)
               for (county, town, name), v in plan.villages.items() for key in village_keys(name, v["aliases"])}
    existing = {(row.village_id, row.key): row.id for row in session.execute(
        select(VillageName.id, VillageName.village_id, VillageName.key))}
    ours = set(villages.values())
    _delete(session, VillageName, [rid for pair, rid in existing.items() if pair not in desired and pair[0] in ours])
    new = [{"village_id": vid, "key": key} for vid, key in desired - set(existing)]
    if new:
        session.execute(insert(VillageName), new)
    counts["village names changed"] += len(new)


def _memberships(session, plan: Plan, cadres: dict, teams: dict, counts: Counter) -> None:
    desired = {(teams[leader], cadres[phone]): auxiliary
               for leader, members in plan.teams.items() for phone, auxiliary in members.items()}
    existing = {(r.team_id, r.cadre_id): r for r in session.execute(
        select(Membership.id, Membership.team_id, Membership.cadre_id, Membership.auxiliary))}
    gone = [row.id for pair, row in existing.items() if pair not in desired]
    _delete(session, Membership, gone)
    new = [{"team_id": t, "cadre_id": c, "auxiliary": aux} for (t, c), aux in desired.items() if (t, c) not in existing]
    if new:
        session.execute(insert(Membership), new)
    changed = [{"id": existing[pair].id, "auxiliary": aux} for pair, aux in desired.items()
               if pair in existing and existing[pair].auxiliary != aux]
    if changed:
        session.execute(update(Membership), changed)
    counts.update({"memberships created": len(new), "memberships removed": len(gone), "memberships updated": len(changed)})


def apply_plan(session, plan: Plan) -> Counter:
    """Write the plan in the session's transaction; return counts of what changed."""
    counts: Counter = Counter()
    assign_codes(session, plan)
    towns = sync(session, Township, ("county", "name"), plan.townships, counts, "townships")
    cadres = sync_cadres(session, plan, towns, counts)
    teams = sync_teams(session, plan, cadres, counts)
    villages = _villages(session, plan, towns, teams, counts)
    _names(session, plan, villages, towns, counts)
    _memberships(session, plan, cadres, teams, counts)
    return counts


def import_roster(Session, path: str | Path, categories, dry_run: bool = False) -> Counter:
    """Import ``path`` in one transaction (rolled back for a dry run); raise RosterError on any error.

    ``categories`` are the configured ones: a cadre's categories must be among them.
    """
    plan = make_plan(read_roster(path, categories))
    with Session() as session:  # leaving it uncommitted rolls everything back
        counts = apply_plan(session, plan)
        if not dry_run:
            session.commit()
    log.info("roster %s imported: %s", Path(path).name, dict(+counts) or "no changes")
    return counts
