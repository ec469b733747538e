"""Bring the database to a plan inside the caller's transaction, writing only what differs.

Rows are compared by natural keys and written in bulk, so a Guangdong-scale roster imports in
seconds and a second import of the same file writes nothing. Nothing is deleted that history
may point at: cadres missing from the file are deactivated, villages missing from it are kept,
and the open cases of a deactivated cadre go to their village's team leader (hand_over_cases).
"""
import re
from collections import Counter, defaultdict
from datetime import datetime

from pypinyin import Style, lazy_pinyin
from sqlalchemy import insert, or_, select, update

from bot.cases import case_life
from bot.cases.outbox import notify
from bot.cases.routing import team_leader, township_handler
from bot.roster.plan import Plan
from bot.roster.rows import RosterError
from models import Cadre, Case, Team, Township

CHUNK = 500
CODE_LENGTH = 8  # Township.code's column


def sync(session, model, keys: tuple[str, ...], desired: dict, counts: Counter, name: str) -> dict:
    """Insert missing rows and update changed ones of ``model``; return natural key -> id."""
    fields = list(next(iter(desired.values()), {}))
    columns = [getattr(model, c) for c in keys + tuple(fields)]
    existing = {tuple(row[1:len(keys) + 1]): row for row in session.execute(select(model.id, *columns))}
    inserts, updates = [], []
    for key, values in desired.items():
        row = existing.get(key)
        if row is None:
            inserts.append({**dict(zip(keys, key)), **values})
        elif dict(zip(fields, row[len(keys) + 1:])) != values:
            updates.append({"id": row.id, **values})
    if inserts:
        session.execute(insert(model), inserts)
        existing = {tuple(row[1:]): row for row in session.execute(select(model.id, *columns[:len(keys)]))}
    if updates:
        session.execute(update(model), updates)
    counts[f"{name} created"] += len(inserts)
    counts[f"{name} updated"] += len(updates)
    return {key: row.id for key, row in existing.items()}


def initials(name: str) -> str:
    """The pinyin initials of a township's name as a code, e.g. 白石镇 → BSZ (T when nothing is left)."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).upper()
    code = re.sub(r"[^A-Z0-9]", "", letters).lstrip("0123456789")[:CODE_LENGTH]
    return code or "T"


def assign_codes(session, plan: Plan) -> None:
    """Keep each township's case-number prefix: the file's, else the stored one, else its pinyin initials
    (a number appended when another township has them: BSZ, BSZ2 ...)."""
    stored = {(r.county, r.name): r.code for r in session.execute(select(Township.county, Township.name, Township.code))}
    final = {key: values["code"] or stored.get(key, "") for key, values in plan.townships.items()}
    taken = {code for key, code in stored.items() if key not in final} | set(final.values())
    for key, code in final.items():
        if not code:
            base, number = initials(key[1]), 1
            code = base
            while code in taken:
                number += 1
                code = base[:CODE_LENGTH - len(str(number))] + str(number)
        final[key] = code
        taken.add(code)
    owners: dict[str, tuple] = {}
    for key, code in list(final.items()) + [(k, c) for k, c in stored.items() if k not in final]:
        if code and owners.setdefault(code, key) != key:
            raise RosterError([f"township {key[1]}: code {code} is already used by {owners[code][1]}"])
    for key, code in final.items():
        plan.townships[key]["code"] = code


def sync_cadres(session, plan: Plan, towns: dict, counts: Counter) -> dict:
    desired = {(phone,): {"name": c["name"], "position": c["position"], "wechat": c["wechat"],
                          "wecom_userid": c["wecom_userid"], "role": c["role"], "county": c["county"],
                          "township_id": towns.get(c["township"]), "categories": c["categories"], "active": True}
               for phone, c in plan.cadres.items()}
    gone = [{"id": row.id, "active": False} for row in session.execute(select(Cadre.id, Cadre.phone, Cadre.active))
            if row.active and (row.phone,) not in desired]
    ids = sync(session, Cadre, ("phone",), desired, counts, "cadres")
    if gone:
        session.execute(update(Cadre), gone)
    counts["cadres deactivated"] += len(gone)
    return {key[0]: value for key, value in ids.items()}


def sync_teams(session, plan: Plan, cadres: dict, counts: Counter) -> dict:
    """One team per leader; a team whose leader no longer leads keeps its row but loses its leader."""
    existing = {row.leader_id: row.id for row in session.execute(select(Team.id, Team.leader_id)) if row.leader_id}
    leaders = {cadres[phone] for phone in plan.teams}
    new = [{"leader_id": cid} for cid in leaders if cid not in existing]
    if new:
        session.execute(insert(Team), new)
    orphans = [{"id": tid, "leader_id": None} for cid, tid in existing.items() if cid not in leaders]
    if orphans:
        session.execute(update(Team), orphans)
    counts["teams created"] += len(new)
    counts["teams retired"] += len(orphans)
    ids = {row.leader_id: row.id for row in session.execute(select(Team.id, Team.leader_id)) if row.leader_id}
    return {phone: ids[cadres[phone]] for phone in plan.teams}


def leaving(session, plan: Plan) -> list[int]:
    """Ids of the active cadres the plan no longer lists (read before the import deactivates them)."""
    return [row.id for row in session.execute(select(Cadre.id, Cadre.phone).where(Cadre.active.is_(True)))
            if row.phone not in plan.cadres]


def hand_over_cases(session, gone_ids: list[int], config: dict, now: datetime, counts: Counter) -> None:
    """Give each open case of a deactivated cadre to the village's team leader (else the township), one push each."""
    session.expire_all()  # the bulk writes above changed cadres and teams behind the ORM's back
    texts = config["texts"]
    for gone in session.scalars(select(Cadre).where(Cadre.id.in_(gone_ids)).order_by(Cadre.id)):
        cases = session.scalars(select(Case).where(Case.open, or_(Case.owner_id == gone.id, Case.assignee_id == gone.id))
                                .order_by(Case.received_at, Case.id)).all()
        taken: dict[int, list[Case]] = defaultdict(list)
        heirs: dict[int, Cadre] = {}
        for case in cases:
            heir = team_leader(case.village) or township_handler(session, case.village, config.get("routing"))
            if heir is None or heir.id == gone.id:
                continue  # nobody left to take it: it stays visible in 超时 and 在办 of the township
            case_life.hand_over(session, case, gone, heir, now)
            taken[heir.id].append(case)
            heirs[heir.id] = heir
        for heir_id, handed in taken.items():
            lines = "\n".join(texts["push_hand_over_line"].format(**case_life.case_fields(c)) for c in handed)
            notify(session, f"hand_over:{gone.id}:{int(now.timestamp())}", heirs[heir_id], "hand_over",
                   texts["push_hand_over"].format(name=gone.name, count=len(handed), lines=lines),
                   title=f"移交 {gone.name}的{len(handed)}件案件")
        counts["cases handed over"] += sum(len(handed) for handed in taken.values())
