"""Export the database's roster as rows, so it can be written as YAML or Excel and re-imported."""
from sqlalchemy import select

from bot.roster.rows import PersonRow, Roster, TownshipRow, VillageRow
from models import Cadre, Membership, Team, Township, Village


def _person(cadre: Cadre, kind: str, county="", township="", village="") -> PersonRow:
    return PersonRow(kind=kind, name=cadre.name, phone=cadre.phone, position=cadre.position, wechat=cadre.wechat,
                     wecom_userid=cadre.wecom_userid or "", categories=list(cadre.categories or []),
                     county=county, township=township, village=village)


def export_roster(session) -> Roster:
    """The active roster: townships, villages with their teams, secretaries, supervisors, admins."""
    roster = Roster()
    towns = {t.id: t for t in session.scalars(select(Township).order_by(Township.id))}
    cadres = {c.id: c for c in session.scalars(select(Cadre).where(Cadre.active.is_(True)).order_by(Cadre.id))}
    leaders = {row.id: row.leader_id for row in session.execute(select(Team.id, Team.leader_id))}
    members: dict[int, list] = {}
    for row in session.execute(select(Membership.team_id, Membership.cadre_id, Membership.auxiliary,
                                      Membership.villages).order_by(Membership.id)):
        if row.cadre_id in cadres:
            members.setdefault(row.team_id, []).append(row)
    for town in towns.values():
        roster.townships.append(TownshipRow(town.county, town.name, town.code, town.station_weekday, town.station_half))
    for cadre in cadres.values():
        town = towns.get(cadre.township_id)
        if cadre.role == "secretary" and town:
            roster.people.append(_person(cadre, "secretary", town.county, town.name))
    for village in session.scalars(select(Village).where(Village.team_id.is_not(None)).order_by(Village.id)):
        town = towns[village.township_id]
        roster.villages.append(VillageRow(town.county, town.name, village.name, list(village.aliases or []),
                                          village.place, village.remote, village.anchor))
        place = (town.county, town.name, village.name)
        leader = cadres.get(leaders.get(village.team_id))
        if leader:
            roster.people.append(_person(leader, "leader", *place))
        for row in members.get(village.team_id, []):
            if row.villages and village.id not in row.villages:
                continue  # listed under the team's other village only
            roster.people.append(_person(cadres[row.cadre_id], "auxiliary" if row.auxiliary else "member", *place))
    for cadre in cadres.values():
        if cadre.role == "supervisor":
            roster.people.append(_person(cadre, "supervisor", cadre.county))
        elif cadre.role == "admin":
            roster.people.append(_person(cadre, "admin"))
    return roster
