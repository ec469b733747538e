"""The eve of a station day: the team gets the village's open cases, the newly collected marked.

This is what the village committee gathers before the visit, so the team arrives knowing it.
The source names the village and the station day, so each team hears once per station day.
"""
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.cases.outbox import notify
from bot.timefmt import CHINA, time_of_day
from bot.villages.station_day import NoStationDay, next_station_day
from models import Cadre, Case, Village

MAX_LINES = 30  # a longer list is cut; 详情/进度 commands show the rest


def station_eve(session, config: dict, now: datetime) -> int:
    """From the eve's hour on, tell each team whose station day is tomorrow; returns rows written."""
    rules = config["notifications"]["schedules"]
    local = now.astimezone(CHINA)
    if local.time() < time_of_day(rules["station_eve_at"]):
        return 0
    tomorrow = local.date() + timedelta(days=1)
    told = 0
    for village in session.scalars(select(Village).where(Village.team_id.is_not(None)).order_by(Village.id)):
        try:
            day = next_station_day(village, now, config.get("station_days") or {})
        except NoStationDay:
            continue
        if day.date == tomorrow:
            told += _tell_team(session, village, day, config, now)
    return told


def _tell_team(session, village: Village, day, config: dict, now: datetime) -> int:
    """Send one village's list to its leader and members."""
    texts = config["notifications"]["texts"]
    states = (config.get("labels") or {}).get("states") or {}
    since = now - timedelta(days=config["notifications"]["schedules"]["new_issue_days"])
    # Complaints about cadres are township business: never on the list the village's team gets.
    cases = session.scalars(select(Case).where(Case.village_id == village.id, Case.open,
                                               Case.hidden_complainant.is_(False)).order_by(Case.received_at)).all()
    fresh = [case for case in cases if case.received_at >= since]
    lines = [texts["station_eve_line"].format(number=case.number, category=case.category,
                                              state=states.get(case.state, case.state),
                                              new=texts["station_eve_new"] if case in fresh else "")
             for case in cases[:MAX_LINES]]
    fields = {"village": village.name, "station_day": day.text, "count": len(cases), "new": len(fresh),
              "lines": "\n".join(lines)}
    content = texts["station_eve" if cases else "station_eve_none"].format(**fields)
    title = texts["station_eve_title"].format(**fields)
    source = f"station_eve:{village.id}:{day.date.isoformat()}"
    return sum(notify(session, source, cadre, "station_eve", content, title=title) is not None
               for cadre in _team(village))


def _team(village: Village) -> list[Cadre]:
    """The team's leader and members (auxiliary ones too: the village committee), active, once each."""
    team = village.team
    people = [team.leader] if team.leader else []
    people += [membership.cadre for membership in team.memberships]
    seen, result = set(), []
    for cadre in people:
        if cadre.active and cadre.id not in seen:
            seen.add(cadre.id)
            result.append(cadre)
    return result
