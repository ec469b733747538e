"""The three rates on a hand-built week whose answers are known (bot/reports/rates.py)."""
import pytest

from bot.reports.periods import week
from bot.reports.rates import Tally, percent, tallies
from tests.case_factory import china, known_world
from tests.roster_fixture import NOW

WEEK = week(china(11, 18))  # Monday 16 to Sunday 22 November 2026, China time


def total(session, start, end, now, **filters) -> Tally:
    """One tally over every village the filters select."""
    return sum(tallies(session, start, end, now, by="village", **filters).values(), Tally())


@pytest.fixture
def world(runtime):
    """The test roster plus residents, and the known week of cases, committed."""
    with runtime.Session.begin() as session:
        r, residents, cases = known_world(session)
        return {k: v.id for k, v in {**r, **cases}.items()}


def figures(runtime, **options) -> dict:
    with runtime.Session() as session:
        return tallies(session, WEEK.start, WEEK.end, NOW, **options)


def test_village_figures_match_the_hand_count(runtime, world):
    here = figures(runtime)[world["village"]]
    # A-G: 7 received; contacted in time A C D E G of 7 due; resolved A B D of A B C D due;
    # verdicts A C D (C reopened), satisfied A D; overdue C (resolve limit) and F (never contacted).
    assert here == Tally(received=7, contact_due=7, contacted=5, resolve_due=4, resolved=3, verdicts=3,
                         satisfied=2, overdue=2)
    assert (percent(here.response_rate), percent(here.resolve_rate), percent(here.satisfaction_rate)) == \
        ("71%", "75%", "67%")


def test_closed_unresolved_is_due_but_never_resolved(runtime, world):
    assert figures(runtime)[world["village2"]] == Tally(received=1, contact_due=1, contacted=1, resolve_due=1)


def test_townships_and_counties_roll_up_villages(runtime, world):
    by_township = figures(runtime, by="township")
    assert by_township[world["jh"]] == Tally(8, 8, 6, 5, 3, 3, 2, 2)
    assert by_township[world["other"]] == Tally(1, 1, 1, 1, 1, 1, 1, 0)
    assert figures(runtime, by="county") == {"揭西县": Tally(9, 9, 7, 6, 4, 4, 3, 2)}


def test_cadre_is_the_owner_or_else_the_assignee(runtime, world):
    by_cadre = figures(runtime, by="cadre")
    assert by_cadre[world["road"]].received == 4  # A, B, G owned; F only assigned
    assert by_cadre[world["farm"]] == Tally(2, 2, 2, 2, 1, 2, 1, 1)
    assert by_cadre[world["leader"]] == Tally(1, 1, 1, 0, 0, 0, 0, 0)  # escalated, not yet due


def test_category_and_scope_filters(runtime, world):
    assert figures(runtime, by="category")["农业生产"].received == 2
    with runtime.Session() as session:
        only_v2 = total(session, WEEK.start, WEEK.end, NOW, villages=[world["village2"]])
        farm = total(session, WEEK.start, WEEK.end, NOW, category="农业生产")
    assert only_v2.received == 1 and farm.received == 2


def test_rates_are_undefined_without_anything_due(runtime, world):
    empty = Tally(received=2)
    assert (empty.response_rate, empty.resolve_rate, empty.satisfaction_rate) == (None, None, None)
    assert percent(None) == "—"


def test_period_boundaries_are_china_midnights(runtime, world):
    with runtime.Session() as session:
        earlier = total(session, WEEK.previous().start, WEEK.previous().end, NOW)
        later = total(session, WEEK.end, week(NOW).end, NOW)
    assert (earlier.received, later.received) == (1, 1)  # the cases at 23:30 on the 15th and 00:10 on the 23rd
