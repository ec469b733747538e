"""Who can be played in the simulator: every village (for new residents), every cadre, bound residents."""
from sqlalchemy import select

from bot.villages.qr import scene_for
from models import Cadre, Resident, Township, Village

ROLE_LABELS = {"member": "团队成员", "leader": "组长", "secretary": "镇街书记", "supervisor": "督查", "admin": "管理员"}
ROLE_ORDER = ("leader", "member", "secretary", "supervisor", "admin")
RESIDENT_LIMIT = 50


def _cadre(cadre: Cadre, villages: dict[int, list[str]]) -> dict:
    return {"openid": cadre.openid, "name": cadre.name, "position": cadre.position, "role": cadre.role,
            "role_label": ROLE_LABELS.get(cadre.role, cadre.role), "villages": villages.get(cadre.id, []),
            "wecom_userid": cadre.wecom_userid}


def _served(session) -> dict[int, list[str]]:
    """Villages each cadre serves (as leader or team member), by cadre id."""
    served: dict[int, list[str]] = {}
    for village in session.scalars(select(Village).where(Village.team_id.is_not(None)).order_by(Village.id)):
        people = {village.team.leader_id} | {m.cadre_id for m in village.team.memberships}
        for cadre_id in people - {None}:
            served.setdefault(cadre_id, []).append(village.name)
    return served


def personas(session) -> dict:
    """Villages, cadres (bound ones, by role) and bound residents, as plain data for the page."""
    villages = session.execute(select(Village, Township).join(Township).where(Village.team_id.is_not(None))
                               .order_by(Township.id, Village.id)).all()
    served = _served(session)
    cadres = session.scalars(select(Cadre).where(Cadre.active.is_(True), Cadre.openid.is_not(None))).all()
    cadres = sorted(cadres, key=lambda c: (ROLE_ORDER.index(c.role) if c.role in ROLE_ORDER else 9, c.id))
    residents = session.execute(select(Resident.openid, Village.name).join(Village, Resident.village_id == Village.id)
                                .where(Resident.reachable).order_by(Resident.id.desc()).limit(RESIDENT_LIMIT)).all()
    return {
        "villages": [{"id": v.id, "name": v.name, "township": t.name, "scene": scene_for(v)} for v, t in villages],
        "cadres": [_cadre(c, served) for c in cadres],
        "residents": [{"openid": r.openid, "village": r.name} for r in residents],
    }


def wecom_openids(session, userids: set[str]) -> dict[str, str]:
    """The persona openid of each WeCom user id (a cadre's WeCom pushes show in their pane)."""
    if not userids:
        return {}
    rows = session.execute(select(Cadre.wecom_userid, Cadre.openid).where(Cadre.wecom_userid.in_(userids)))
    return {row.wecom_userid: row.openid for row in rows if row.openid}
