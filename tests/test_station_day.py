"""Station days: weekday and half-day, China time, month and year ends, fortnights, exceptions."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timefmt import CHINA
from bot.villages.station_day import NoStationDay, next_station_day


def village(weekday=2, half="afternoon", remote=False, anchor=None, place="村委会办公楼", township="金和镇"):
    """A village as the function sees it: only the attributes it reads."""
    town = SimpleNamespace(name=township, county="揭西县", station_weekday=weekday, station_half=half)
    return SimpleNamespace(name="新高园村", township=town, remote=remote, anchor=anchor, place=place)


def china(*args) -> datetime:
    return datetime(*args, tzinfo=CHINA)


@pytest.mark.parametrize("after, expected", [
    (china(2026, 11, 23, 9), date(2026, 11, 24)),   # Monday: tomorrow
    (china(2026, 11, 24, 15), date(2026, 11, 24)),  # during the afternoon: still today
    (china(2026, 11, 24, 18, 30), date(2026, 12, 1)),  # over: next week, across the month end
    (china(2026, 12, 30, 10), date(2027, 1, 5)),    # across the year end
    (china(2027, 2, 24, 10), date(2027, 3, 2)),     # across a short February
])
def test_weekly_station_day(after, expected):
    assert next_station_day(village(), after, {}).date == expected


def test_text_names_date_weekday_half_and_place():
    info = next_station_day(village(place="新高园村文化室"), china(2026, 11, 28, 9), {})
    assert info.text == "12月1日（星期二）下午，新高园村文化室"
    assert (info.weekday_name, info.half) == ("星期二", "下午")


def test_morning_half_ends_at_noon():
    v = village(weekday=5, half="morning")
    assert next_station_day(v, china(2026, 11, 27, 11, 59), {}).date == date(2026, 11, 27)
    info = next_station_day(v, china(2026, 11, 27, 12, 1), {})
    assert (info.date, info.weekday_name, info.half) == (date(2026, 12, 4), "星期五", "上午")


def test_utc_input_is_read_in_china_time():
    # 2026-11-24 10:30 UTC is 18:30 in China: Tuesday's afternoon is over there.
    assert next_station_day(village(), datetime(2026, 11, 24, 10, 30, tzinfo=timezone.utc), {}).date == date(2026, 12, 1)
    # Monday 20:00 UTC is already Tuesday 04:00 in China.
    assert next_station_day(village(), datetime(2026, 11, 23, 20, tzinfo=timezone.utc), {}).date == date(2026, 11, 24)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        next_station_day(village(), datetime(2026, 11, 23, 9), {})


@pytest.mark.parametrize("after, expected", [
    (china(2026, 11, 17, 9), date(2026, 11, 17)),   # the anchor itself
    (china(2026, 11, 18, 9), date(2026, 12, 1)),    # skips the off week, crosses the month end
    (china(2026, 12, 16, 9), date(2026, 12, 29)),
    (china(2026, 12, 30, 9), date(2027, 1, 12)),    # across the year end, off week 1/5 skipped
])
def test_remote_village_every_two_weeks_from_its_anchor(after, expected):
    assert next_station_day(village(remote=True, anchor=date(2026, 11, 17)), after, {}).date == expected


def test_remote_anchor_counts_weeks_not_the_exact_day():
    """An anchor on another weekday of the same week gives the same fortnights."""
    monday = village(remote=True, anchor=date(2026, 11, 16))
    assert next_station_day(monday, china(2026, 11, 18, 9), {}).date == date(2026, 12, 1)


def test_cancelled_day_falls_to_the_next_week():
    exceptions = {date(2026, 12, 1): {"cancel": True, "reason": "停电"}}
    assert next_station_day(village(), china(2026, 11, 30, 9), exceptions).date == date(2026, 12, 8)


def test_cancelled_remote_day_falls_two_weeks():
    exceptions = {"2026-12-01": {"cancel": True}}
    v = village(remote=True, anchor=date(2026, 11, 17))
    assert next_station_day(v, china(2026, 11, 18, 9), exceptions).date == date(2026, 12, 15)


def test_moved_day_takes_its_new_date_half_and_place():
    exceptions = {date(2026, 12, 1): {"moved_to": date(2026, 12, 3), "half": "morning", "place": "镇政府"}}
    info = next_station_day(village(), china(2026, 11, 30, 9), exceptions)
    assert info.text == "12月3日（星期四）上午，镇政府"


def test_day_moved_past_the_next_regular_one_is_found_later():
    exceptions = {date(2026, 12, 1): {"moved_to": date(2026, 12, 10)}}
    assert next_station_day(village(), china(2026, 11, 30, 9), exceptions).date == date(2026, 12, 8)
    # After the 8th, the moved day (a week late) is still to come.
    assert next_station_day(village(), china(2026, 12, 9, 9), exceptions).date == date(2026, 12, 10)


def test_exception_limited_to_other_townships_does_not_apply():
    exceptions = {date(2026, 12, 1): {"cancel": True, "townships": ["河婆街道"]}}
    assert next_station_day(village(), china(2026, 11, 30, 9), exceptions).date == date(2026, 12, 1)
    exceptions[date(2026, 12, 1)]["townships"] = ["金和镇"]
    assert next_station_day(village(), china(2026, 11, 30, 9), exceptions).date == date(2026, 12, 8)


def test_all_cancelled_raises():
    start = date(2026, 12, 1)
    exceptions = {start + timedelta(weeks=w): {"cancel": True} for w in range(70)}
    with pytest.raises(NoStationDay):
        next_station_day(village(), china(2026, 11, 30, 9), exceptions)


@given(
    after=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(timezone.utc)),
    weekday=st.integers(1, 7), half=st.sampled_from(["morning", "afternoon"]), remote=st.booleans(),
    anchor=st.dates(min_value=date(2023, 1, 1), max_value=date(2030, 1, 1)),
)
def test_result_is_the_first_matching_day_not_yet_over(after, weekday, half, remote, anchor):
    info = next_station_day(village(weekday, half, remote, anchor), after, {})
    local = after.astimezone(CHINA)
    assert info.date.isoweekday() == weekday
    assert info.date >= local.date()
    assert (info.date - local.date()).days <= (14 if remote else 7)
    if remote:
        assert ((info.date - anchor).days + anchor.weekday() - info.date.weekday()) // 7 % 2 == 0


def test_whole_station_days_block_is_accepted():
    block = {"exceptions": {date(2026, 12, 1): {"cancel": True}}}
    assert next_station_day(village(), china(2026, 11, 30, 9), block).date == date(2026, 12, 8)
