"""Writing the team's records: diary entries, announcements (through the outbox), inspections."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from bot.timefmt import CHINA
from bot.villages.station_day import NoStationDay, next_station_day
from models import Announcement, DiaryEntry, Inspection, Notification, Resident, Village


def china_day_start(now: datetime) -> datetime:
    """Midnight (China time) of ``now``'s day."""
    return datetime.combine(now.astimezone(CHINA).date(), time.min, CHINA)


def current_station_day(village: Village, now: datetime, exceptions: dict) -> date:
    """The village's latest station day on or before today (today's date if none is known)."""
    today = now.astimezone(CHINA).date()
    try:
        day = next_station_day(village, china_day_start(now) - timedelta(days=15), exceptions).date
        while day < today:
            later = next_station_day(village, datetime.combine(day, time.max, CHINA), exceptions).date
            if later > today:
                break
            day = later
    except NoStationDay:
        return today
    return day if day <= today else today


def write_diary(session, cadre, village: Village, text: str, now: datetime, exceptions: dict,
                case_id: int | None = None) -> tuple[DiaryEntry, int]:
    """Record a 民情日记 entry; returns it and the cadre's count of entries this week."""
    entry = DiaryEntry(cadre_id=cadre.id, village_id=village.id, case_id=case_id, text=text, at=now,
                       station_day=current_station_day(village, now, exceptions))
    session.add(entry)
    session.flush()
    monday = china_day_start(now) - timedelta(days=now.astimezone(CHINA).weekday())
    count = session.scalar(select(func.count()).select_from(DiaryEntry).where(
        DiaryEntry.cadre_id == cadre.id, DiaryEntry.at >= monday))
    return entry, count


def announcements_today(session, village: Village, now: datetime) -> int:
    """Announcements already sent to the village today (China time)."""
    return session.scalar(select(func.count()).select_from(Announcement).where(
        Announcement.village_id == village.id, Announcement.at >= china_day_start(now)))


def announce(session, cadre, village: Village, text: str, content: str, now: datetime) -> Announcement | None:
    """Record an announcement and queue one push per bound resident (None: nobody to tell)."""
    residents = session.scalars(select(Resident.id).where(Resident.village_id == village.id,
                                                          Resident.bound_at.is_not(None), Resident.reachable)).all()
    if not residents:
        return None
    row = Announcement(village_id=village.id, cadre_id=cadre.id, text=text, recipients=len(residents), at=now)
    session.add(row)
    session.flush()
    # One multi-row INSERT: a village has hundreds of residents and the webhook has 5 seconds.
    # The announcement is new, so the (source, recipient) key cannot collide.
    session.execute(insert(Notification), [
        {"source": f"announcement:{row.id}", "recipient_kind": "resident", "recipient_id": resident_id,
         "kind": "announcement", "title": f"{village.name}公告", "content": content, "created_at": now,
         "next_attempt_at": now} for resident_id in residents])
    return row


def delivery_counts(session, announcement_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per announcement, its pushes by delivery state (pending, sent, failed, given_up, ...)."""
    counts: dict[int, dict[str, int]] = {i: {} for i in announcement_ids}
    sources = {f"announcement:{i}": i for i in announcement_ids}
    rows = session.execute(select(Notification.source, Notification.state, func.count()).where(
        Notification.source.in_(sources)).group_by(Notification.source, Notification.state))
    for source, state, count in rows:
        counts[sources[source]][state] = count
    return counts


def inspect(session, supervisor, village: Village, present: bool, note: str, now: datetime) -> Inspection:
    """Record a supervisor's station-day check of a village."""
    row = Inspection(village_id=village.id, supervisor_id=supervisor.id, present=present, note=note, at=now,
                     day=now.astimezone(CHINA).date())
    session.add(row)
    return row
