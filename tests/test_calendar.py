"""China's holiday calendar: working days with 调休 for time limits, station days on holidays, and
station days cancelled or moved by the team leader in chat, effective at once and announced."""
import logging
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.timefmt import CHINA, working_days_after
from bot.villages.station_day import upcoming_station_days
from models import Case, Notification, StationDayChange
from tests.dialog import Chat
from tests.roster_fixture import NOW, build, resident


@pytest.fixture
def chat(runtime):
    """The small roster; 新高园村 (Tuesday afternoons) has three bound residents; now is Tue 24 Nov 10:00."""
    with runtime.Session.begin() as session:
        r = build(session)
        for name in ("ah", "bo", "cy"):
            resident(session, f"o_{name}", r["village"])
    return Chat(runtime, NOW)


def china(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def stored(runtime, model, **where):
    with runtime.Session() as session:
        return session.scalars(select(model).filter_by(**where).order_by(model.id)).all()


def test_time_limits_skip_national_day_and_count_the_make_up_saturday(chat, runtime):
    """Filed 30 Sep 2026: 1-7 Oct are off, Saturday 10 Oct is a 调休 working day; 7 working days end 15 Oct."""
    runtime.config["time_limits"]["working_days"] = True
    chat.now = china(2026, 9, 30, 10)
    assert "案件编号" in chat.say("o_ah", "村口的路塌了一个大坑，车都过不去")
    [case] = stored(runtime, Case)
    assert case.resolve_due_at.astimezone(CHINA).date() == date(2026, 10, 15)


def test_the_overdue_ladders_lateness_counts_the_same_calendar():
    """Due Wed 30 Sep: 5 working days late is Tue 13 Oct (8, 9, 10 (调休), 12, 13 Oct); Monday-Friday said 7 Oct."""
    assert working_days_after(china(2026, 9, 30, 10), 5) == china(2026, 10, 13, 10)


def test_beyond_the_calendars_data_counts_weekdays_and_says_so(caplog):
    with caplog.at_level(logging.ERROR):
        due = working_days_after(china(2027, 1, 4, 10), 5)
    assert due.date() == date(2027, 1, 11)
    assert "no data for 2027" in caplog.text and "pip install -U chinesecalendar" in caplog.text


def _friday_village():
    town = SimpleNamespace(name="金和镇", county="揭西县", station_weekday=5, station_half="afternoon")
    return SimpleNamespace(name="新高园村", township=town, remote=False, anchor=None, place="村委会办公楼")


@pytest.mark.parametrize("rule, expected", [("keep", date(2026, 10, 2)), ("skip", date(2026, 10, 9)),
                                            ("next_working_day", date(2026, 10, 8))])
def test_a_station_day_on_a_public_holiday_follows_the_config_rule(rule, expected):
    """Friday 2 Oct 2026 is National Day: kept, skipped to the next Friday, or the next working day (Thu 8 Oct)."""
    [day] = upcoming_station_days(_friday_village(), china(2026, 9, 29, 9), {"on_holiday": rule, "exceptions": {}})
    assert day.date == expected


def test_mid_autumn_friday_moves_to_monday():
    """Friday 25 Sep 2026 is 中秋节: the next working day is Monday 28 Sep, shown until it is over."""
    [day] = upcoming_station_days(_friday_village(), china(2026, 9, 26, 9), {"on_holiday": "next_working_day"})
    assert (day.date, day.weekday_name, day.regular) == (date(2026, 9, 28), "星期一", date(2026, 9, 25))


def test_config_exception_wins_over_the_holiday_rule():
    block = {"on_holiday": "skip", "exceptions": {date(2026, 10, 2): {"moved_to": date(2026, 10, 3)}}}
    assert upcoming_station_days(_friday_village(), china(2026, 9, 29, 9), block)[0].date == date(2026, 10, 3)


def test_leader_cancels_a_station_day_residents_hear_and_see_the_next(chat, runtime):
    reply = chat.say("o_chen", "驻点 取消 新高园村 11月24日")
    assert reply == "已取消新高园村11月24日的驻点，已通知绑定群众 3 人。下一次驻点：12月1日（星期二）下午，村委会办公楼。"
    pushes = stored(runtime, Notification, kind="announcement")
    assert len(pushes) == 3 and all(p.content.startswith("【驻点取消】新高园村11月24日的驻点取消了") for p in pushes)
    assert "12月1日（星期二）下午" in chat.say("o_ah", "驻点")
    assert "12月1日（星期二）下午" in chat.say("o_ah", "联系卡")
    [change] = stored(runtime, StationDayChange)
    assert (change.day, change.moved_to) == (date(2026, 11, 24), None)


def test_leader_moves_the_next_station_day_with_a_new_place(chat, runtime):
    reply = chat.say("o_chen", "驻点 改期 新高园 11月26日 村文化室")
    assert reply == "新高园村的驻点改到11月26日（星期四）下午，村文化室，已通知绑定群众 3 人。"
    assert "11月26日（星期四）下午，村文化室" in chat.say("o_bo", "驻点")
    pushes = stored(runtime, Notification, kind="announcement")
    assert len(pushes) == 3 and "原定11月24日的驻点改到11月26日" in pushes[0].content
    chat.tick(days=3)  # Friday 27 Nov: the moved day is over, the rule resumes on Tuesday 1 Dec
    assert "12月1日（星期二）下午，村委会办公楼" in chat.say("o_bo", "驻点")


@pytest.mark.parametrize("openid, said, expected", [
    ("o_ah", "驻点 取消 新高园村 11月24日", "没有使用“驻点 取消”的权限"),     # a resident
    ("o_huang", "驻点 改期 新高园村 11月26日", "没有使用“驻点 改期”的权限"),   # a team member
    ("o_chen", "驻点 取消 新高园村", "用法：驻点 取消 村名 日期"),
    ("o_chen", "驻点 改期", "用法：驻点 取消 村名 日期"),
    ("o_chen", "驻点 取消 新高园村 下周二", "“下周二”不是日期"),
    ("o_chen", "驻点 取消 新高园村 2月30日", "“2月30日”不是日期"),
    ("o_chen", "驻点 取消 新高园村 11月25日", "新高园村11月25日没有驻点。接下来的驻点日：11月24日、12月1日、12月8日。"),
    ("o_chen", "驻点 改期 新高园村 2026-11-20", "11月20日已经过去了"),
    ("o_chen", "驻点 取消 东风村 11月24日", "没有找到“东风村”，或该村不在您的范围内"),   # another leader's
])
def test_bad_station_day_changes_are_refused_and_change_nothing(chat, runtime, openid, said, expected):
    assert expected in chat.say(openid, said)
    assert stored(runtime, StationDayChange) == [] and stored(runtime, Notification) == []
    assert "11月24日（星期二）下午" in chat.say("o_ah", "驻点")


def test_the_eve_list_follows_a_cancelled_station_day(app, chat, runtime):
    """Cancelled 1 Dec: on the eve (30 Nov 18:00) only 东风村's leader hears; 新高园村's team does not."""
    from bot.delivery.schedules import station_eve_job

    assert chat.say("o_chen", "驻点 取消 新高园村 12月1日").startswith("已取消")
    with app.app_context():
        assert station_eve_job(now=china(2026, 11, 30, 18, 0)) == 1
    [eve] = stored(runtime, Notification, kind="station_eve")
    assert "东风村" in eve.content
