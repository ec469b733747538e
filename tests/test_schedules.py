"""Each timed job fires at its time, exactly once, with a controllable clock."""
from datetime import datetime, timedelta

import pytest
from rq.cron import CronScheduler

from bot.delivery import schedules
from bot.timefmt import CHINA, working_days_after
from models import Case, CaseReporter, Notification, Resident
from tests.pushes import make_case, roster, send_due, sends

pytestmark = pytest.mark.pushes

DUE = datetime(2030, 3, 5, 10, 0, tzinfo=CHINA)  # a Tuesday: the township's station day


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2030, China time."""
    return datetime(2030, 3, day, hour, minute, tzinfo=CHINA)


@pytest.fixture
def world(runtime):
    """The roster and one open case owned by the member, due on Tuesday 10:00."""
    with runtime.Session.begin() as session:
        found = roster(session)
        case = make_case(session, found["village"], found["residents"][0], found["member"], "JH-2030-00001", DUE,
                         received_at=at(1, 9))
        return {"case": case.id, **{k: found[k].id for k in ("leader", "member", "secretary", "supervisor", "helper")}}


def fire(app, job, moment: datetime):
    """Run a scheduled job as the worker would, at ``moment``."""
    with app.app_context():
        return job(now=moment)


def told(runtime, kind: str | None = None) -> list[tuple[str, int, str]]:
    """(kind, cadre or resident id, source) of every notification written, optionally of one kind."""
    with runtime.Session() as session:
        found = session.query(Notification).order_by(Notification.id).all()
    return [(n.kind, n.recipient_id, n.source) for n in found if kind is None or n.kind == kind]


def test_overdue_ladder_climbs_at_each_time_and_tells_nobody_twice(app, runtime, world):
    ladder = [  # (moment, what is new then)
        (DUE - timedelta(hours=4, minutes=1), []),
        (DUE - timedelta(hours=4), [("remind_before", world["member"])]),
        (DUE - timedelta(minutes=1), []),
        (DUE, [("overdue_owner", world["member"]), ("overdue_leader", world["leader"])]),
        (working_days_after(DUE, 5) - timedelta(minutes=1), []),
        (working_days_after(DUE, 5), [("overdue_flagged", world["secretary"]),
                                      ("overdue_flagged", world["supervisor"])]),
    ]
    seen = 0
    for moment, new in ladder:
        assert fire(app, schedules.overdue_job, moment) == len(new)
        assert fire(app, schedules.overdue_job, moment) == 0  # a second run tells nobody again
        assert [(kind, who) for kind, who, _ in told(runtime)[seen:]] == new
        seen += len(new)
    assert working_days_after(DUE, 5) == at(12, 10)  # five working days: the weekend does not count
    with runtime.Session() as session:
        flagged = session.query(Notification).filter_by(kind="overdue_flagged").first()
    assert "通报" in flagged.content and "JH-2030-00001" in flagged.content
    assert told(runtime)[0][2] == f"overdue:{world['case']}:{int(DUE.timestamp())}:before"


def test_an_unaccepted_case_climbs_to_its_contact_limit_then_to_its_resolve_limit(app, runtime, world):
    contact_due = DUE - timedelta(days=6)  # the contact limit of the world's case
    with runtime.Session.begin() as session:
        case = session.get(Case, world["case"])
        case.state, case.owner_id, case.assignee_id, case.accepted_at = "assigned", None, world["member"], None
    assert fire(app, schedules.overdue_job, contact_due - timedelta(hours=4)) == 1  # the assignee, before
    assert fire(app, schedules.overdue_job, contact_due) == 2  # the assignee and the leader, at it
    with runtime.Session() as session:
        late = session.query(Notification).filter_by(kind="overdue_owner").one()
    assert "接单 JH-2030-00001" in late.content and late.source.startswith(f"overdue:{world['case']}:{int(contact_due.timestamp())}")
    with runtime.Session.begin() as session:  # accepted late: the resolve limit is what counts now
        case = session.get(Case, world["case"])
        case.state, case.owner_id, case.assignee_id, case.accepted_at = "accepted", world["member"], None, contact_due
    assert fire(app, schedules.overdue_job, contact_due + timedelta(hours=1)) == 0
    assert fire(app, schedules.overdue_job, DUE) == 2
    assert "办结 JH-2030-00001 答复" in told_content(runtime, "overdue_owner")[-1]


def told_content(runtime, kind: str) -> list[str]:
    """The contents of every notification of ``kind``, oldest first."""
    with runtime.Session() as session:
        return [n.content for n in session.query(Notification).filter_by(kind=kind).order_by(Notification.id)]


def test_a_resolved_case_climbs_no_further(app, runtime, world):
    with runtime.Session.begin() as session:
        session.get(Case, world["case"]).state = "resolved"
    assert fire(app, schedules.overdue_job, DUE + timedelta(days=10)) == 0


def test_station_day_eve_sends_the_team_the_open_cases_once(app, runtime, world):
    assert fire(app, schedules.station_eve_job, at(4, 17, 59)) == 0  # Monday, before the hour
    assert fire(app, schedules.station_eve_job, at(3, 18, 0)) == 0  # Sunday: Tuesday is not tomorrow
    assert fire(app, schedules.station_eve_job, at(4, 18, 0)) == 3
    assert fire(app, schedules.station_eve_job, at(4, 21, 0)) == 0
    rows = told(runtime, "station_eve")
    assert sorted(who for _, who, _ in rows) == sorted([world["leader"], world["member"], world["helper"]])
    assert {source for _, _, source in rows} == {"station_eve:1:2030-03-05"}
    with runtime.Session() as session:
        content = session.query(Notification).filter_by(kind="station_eve").first().content
    assert "JH-2030-00001" in content and "3月5日" in content and "（新）" in content


def test_follow_up_asks_reporters_without_a_verdict_the_day_after(app, runtime, world, fake):
    with runtime.Session.begin() as session:
        case = session.get(Case, world["case"])
        case.state, case.resolved_at = "resolved", at(5, 15)
        resident = roster_resident(session, case)
        session.add(CaseReporter(case=case, resident=resident, verdict="satisfied"))
    assert fire(app, schedules.followup_job, at(6, 9, 59)) == 0
    assert fire(app, schedules.followup_job, at(6, 10, 0)) == 1  # the first reporter; the other has answered
    assert fire(app, schedules.followup_job, at(6, 16, 0)) == 0
    assert fire(app, schedules.followup_job, at(12, 10, 0)) == 0
    send_due(runtime)  # the resident has not written lately: a template, whose hint says how to answer
    [record] = sends(fake)
    assert record["body"]["template_id"] == "TEMPLATE_CASE_FOLLOWUP"
    data = {name: field["value"] for name, field in record["body"]["data"].items()}
    assert data == {"thing1": "办结回访：请评价办理结果", "character_string2": "JH-2030-00001",
                    "thing3": "回复“满意/不满意 编号”"}


def roster_resident(session, case):
    """A second reporter of ``case``: the village's other resident."""
    session.add(CaseReporter(case=case, resident=case.resident))
    return session.query(Resident).filter(Resident.id != case.resident_id).first()


def test_weekly_summary_runs_on_monday_morning_once(app, runtime, world):
    assert fire(app, schedules.weekly_summary_job, at(4, 7, 59)) is False
    assert told(runtime, "weekly_summary") == []
    assert fire(app, schedules.weekly_summary_job, at(4, 8, 0)) is True
    assert fire(app, schedules.weekly_summary_job, at(4, 8, 5)) is False
    assert fire(app, schedules.weekly_summary_job, at(5, 8, 0)) is False  # Tuesday
    assert [(recipient, source) for _, recipient, source in told(runtime, "weekly_summary")] == [
        (world["leader"], f"weekly:2030-02-25:{world['leader']}")]


def test_weekly_summary_switched_off_writes_nothing(app, runtime, world):
    runtime.config["notifications"]["schedules"]["weekly_summary"] = False
    assert fire(app, schedules.weekly_summary_job, at(4, 8, 0)) is False
    assert told(runtime, "weekly_summary") == []


def test_every_job_is_registered_with_rqs_cron_scheduler(runtime, own_redis):
    cron = CronScheduler(connection=own_redis.client())
    jobs = schedules.register(cron, runtime.config)
    rules = runtime.config["notifications"]["schedules"]
    assert {(job.func_name, job.interval) for job in jobs} == {
        ("bot.delivery.schedules.periodic_relay_job", rules["relay_interval_seconds"]),
        *((f"bot.delivery.schedules.{name}", rules["scan_interval_seconds"])
          for name in ("station_eve_job", "overdue_job", "followup_job", "co_report_job", "weekly_summary_job",
                       "retrain_job"))}
