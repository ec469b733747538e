"""The roster facts cache (bot/roster/facts.py): what it answers, and that every kind of change is seen.

Each test reads facts through the runtime, changes the roster the way the product does, and reads
again: in the same process, in another runtime on the same database (a second web worker), and
with Redis down.
"""
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot import create_app
from bot.inbox import bans
from bot.roster.facts import VERSION_KEY
from models import Cadre, Membership, StationDayChange, Village
from models.version import RosterVersion, current
from tests.roster_fixture import NOW


def facts_of(runtime, fn):
    with runtime.Session() as session:
        return fn(runtime.facts, session)


def cadre_role(runtime, openid):
    found = facts_of(runtime, lambda f, s: f.cadre(s, openid))
    return found.role if found else None


@pytest.fixture
def second(settings_overrides):
    """A second app on the same database and Redis: another web worker."""
    app = create_app(settings_overrides)
    yield app.extensions["bot"]
    app.extensions["bot"].engine.dispose()


def test_facts_answer_like_the_roster(runtime, roster):
    village = facts_of(runtime, lambda f, s: f.village(s, roster["village"]))
    assert (village.name, village.township_code, village.township_name, village.county) == ("新高园村", "JH", "金和镇", "揭西县")
    assert village.leader.id == roster["leader"] and village.leader.role == "leader"
    assert [m.cadre.id for m in village.members] == [roster["road"], roster["farm"], roster["committee"]]
    assert [m.cadre.id for m in village.members_for("交通运输")] == [roster["road"]]
    assert village.members[2].auxiliary and not village.members[0].auxiliary
    assert [c.id for c in village.secretaries] == [roster["secretary"]]
    assert cadre_role(runtime, "o_chen") == "leader" and cadre_role(runtime, "o_ah") is None
    assert facts_of(runtime, lambda f, s: f.is_banned(s, "o_ah")) is False
    assert facts_of(runtime, lambda f, s: f.village(s, 999999)) is None


def test_a_cached_fact_is_not_read_again(runtime, roster):
    assert cadre_role(runtime, "o_chen") == "leader"
    # Behind the cache's back (raw SQL bumps no version): the cached answer stays.
    with runtime.engine.begin() as connection:
        connection.execute(Cadre.__table__.update().where(Cadre.__table__.c.openid == "o_chen").values(role="member"))
    assert cadre_role(runtime, "o_chen") == "leader"


CHANGES = {
    "cadre binds": lambda s, r: s.get(Cadre, r["leader"]).__setattr__("openid", "o_new_phone"),
    "cadre deactivated": lambda s, r: s.get(Cadre, r["leader"]).__setattr__("active", False),
    "role changes": lambda s, r: s.get(Cadre, r["leader"]).__setattr__("role", "member"),
    "bulk update (import)": lambda s, r: s.execute(update(Cadre).where(Cadre.id == r["leader"]).values(active=False)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_cadre_changes_are_seen_here_and_in_another_worker(runtime, second, roster, change):
    assert cadre_role(runtime, "o_chen") == cadre_role(second, "o_chen") == "leader"
    with runtime.Session.begin() as session:
        CHANGES[change](session, roster)
    assert cadre_role(runtime, "o_chen") is None or change == "role changes"
    assert cadre_role(second, "o_chen") == cadre_role(runtime, "o_chen")
    if change == "role changes":
        assert cadre_role(second, "o_chen") == "member"


def test_team_changes_hand_over_and_membership(runtime, second, roster):
    for rt in (runtime, second):
        assert facts_of(rt, lambda f, s: f.village(s, roster["village"]).leader.id) == roster["leader"]
    with runtime.Session.begin() as session:  # hand-over: another leader for the team
        session.get(Village, roster["village"]).team.leader_id = roster["leader2"]
    with second.Session.begin() as session:  # a member leaves, in the other worker
        session.query(Membership).filter_by(cadre_id=roster["farm"]).delete()
    for rt in (runtime, second):
        village = facts_of(rt, lambda f, s: f.village(s, roster["village"]))
        assert village.leader.id == roster["leader2"]
        assert roster["farm"] not in [m.cadre.id for m in village.members]


def test_ban_and_unban_are_seen_at_once_by_both_workers(runtime, second, roster):
    for rt in (runtime, second):
        assert not facts_of(rt, lambda f, s: f.is_banned(s, "o_troll"))
    with second.Session.begin() as session:
        bans.ban(session, "o_troll")
    for rt in (runtime, second):
        assert facts_of(rt, lambda f, s: f.is_banned(s, "o_troll"))
    with runtime.Session.begin() as session:
        bans.unban(session, "o_troll")
    for rt in (runtime, second):
        assert not facts_of(rt, lambda f, s: f.is_banned(s, "o_troll"))


def test_a_session_sees_its_own_uncommitted_change(runtime, roster):
    assert cadre_role(runtime, "o_chen") == "leader"
    with runtime.Session() as session:
        session.get(Cadre, roster["leader"]).role = "secretary"
        session.flush()
        assert runtime.facts.cadre(session, "o_chen").role == "secretary"
        session.rollback()
    assert cadre_role(runtime, "o_chen") == "leader"  # rolled back: nothing changed, nothing bumped


def test_the_version_counts_committed_changes_only(runtime, roster):
    with runtime.Session() as session:
        before = current(session.connection())
    with runtime.Session.begin() as session:
        session.get(Cadre, roster["road"]).name = "黄主任"  # the same value: not a change
    with runtime.Session() as session:
        assert current(session.connection()) == before
        session.get(Cadre, roster["road"]).position = "镇长助理"
        session.rollback()
    with runtime.Session.begin() as session:
        session.get(Cadre, roster["road"]).position = "镇长助理"
    with runtime.Session() as session:
        assert current(session.connection()) == before + 1


def test_a_missed_redis_update_is_seen_within_the_mirror_ttl(runtime, second, roster, redis_client):
    """A writer that could not tell Redis (or wrote without a runtime): the mirror's expiry brings the change."""
    assert cadre_role(second, "o_chen") == "leader"
    with runtime.engine.begin() as connection:  # as if Redis had missed the writer's update
        connection.execute(Cadre.__table__.update().where(Cadre.__table__.c.openid == "o_chen").values(active=False))
        connection.execute(RosterVersion.__table__.update().values(version=RosterVersion.__table__.c.version + 1))
    assert cadre_role(second, "o_chen") == "leader"  # Redis still says the old version
    redis_client.delete(VERSION_KEY)  # the mirror expired
    assert cadre_role(second, "o_chen") is None


def test_with_redis_down_the_database_version_decides(runtime, second, roster, monkeypatch):
    assert cadre_role(second, "o_chen") == "leader"
    import redis as redis_module

    def down(*_args, **_kwargs):
        raise redis_module.ConnectionError("down")

    monkeypatch.setattr(second.facts.redis, "get", down)
    monkeypatch.setattr(runtime.facts.redis, "set", down)  # the writer cannot tell Redis either
    with runtime.Session.begin() as session:
        session.get(Cadre, roster["leader"]).active = False
    assert cadre_role(second, "o_chen") is None


def test_station_days_are_computed_once_per_village_and_day_and_follow_changes(runtime, second, roster):
    station_days = runtime.config.get("station_days") or {}

    def next_day(rt, after=NOW):
        def read(f, s):
            return f.next_station_day(s, s.get(Village, roster["village"]), after, station_days)
        return facts_of(rt, read)

    first = next_day(runtime)
    assert next_day(runtime, NOW + timedelta(hours=3)) == first  # the same day, from the cache
    later = next_day(runtime, first_end(first) + timedelta(minutes=1))
    assert later.date > first.date  # the day's station day is over: the next one
    with runtime.Session.begin() as session:  # a leader cancels it
        session.add(StationDayChange(village_id=roster["village"], day=first.regular, moved_to=None))
    for rt in (runtime, second):
        assert next_day(rt).date != first.date


def first_end(info):
    from datetime import datetime, time

    from bot.timefmt import CHINA
    return datetime.combine(info.date, time(18, 0), CHINA)


# -- through the chat: what each kind of change does to the next message --------------------------


def test_a_cadre_binding_by_invite_is_seen_by_both_workers_on_the_next_message(runtime, second, roster):
    from bot.roster.invites import create_invite
    from models import Cadre as CadreRow
    from tests.dialog import Chat

    here, there = Chat(runtime, NOW), Chat(second, NOW)
    texts = runtime.config["texts"]
    assert there.say("o_new_cadre", "帮助") == texts["help"]  # a resident, as far as either knows
    with runtime.Session.begin() as session:
        phone = session.get(CadreRow, roster["road"]).phone
        code = create_invite(session, phone, NOW).code
    here.say("o_new_cadre", f"认证 {code}")
    assert there.say("o_new_cadre", "帮助") == texts["help_cadre"]
    assert there.say("o_huang", "帮助") == texts["help"]  # the old binding is gone everywhere


def test_a_deactivated_cadre_is_a_resident_on_the_next_message_in_another_worker(runtime, second, roster):
    from tests.dialog import Chat

    texts = runtime.config["texts"]
    there = Chat(second, NOW)
    assert there.say("o_zhou", "帮助") == texts["help_cadre"]
    with runtime.Session.begin() as session:
        session.get(Cadre, roster["farm"]).active = False
    assert there.say("o_zhou", "帮助") == texts["help"]


def test_with_redis_down_a_change_in_one_worker_reaches_the_other_on_its_next_message(runtime, second, roster,
                                                                                     monkeypatch):
    import redis as redis_module

    from tests.dialog import Chat

    def down(*_args, **_kwargs):
        raise redis_module.ConnectionError("down")

    texts = runtime.config["texts"]
    there = Chat(second, NOW)
    assert there.say("o_troll", "帮助") == texts["help"]  # the ban list is cached in the second worker
    for rt in (runtime, second):
        rt.dedupe._down_until = 0.0
        monkeypatch.setattr(rt.dedupe, "_admit", down)
        monkeypatch.setattr(rt.dedupe, "_settle", down)
        monkeypatch.setattr(rt.facts.redis, "set", down)
        monkeypatch.setattr(rt.facts.redis, "get", down)
    with runtime.Session.begin() as session:
        bans.ban(session, "o_troll")
    assert there.say("o_troll", "帮助") == texts["banned"]
    with runtime.Session.begin() as session:
        bans.unban(session, "o_troll")
    assert there.say("o_troll", "帮助") == texts["help"]


def test_a_station_day_cancelled_by_the_leader_changes_the_other_workers_answer(runtime, second, roster):
    from tests.dialog import Chat

    there = Chat(second, NOW)
    before = there.say("o_ah", "驻点")
    with runtime.Session.begin() as session:
        village = session.get(Village, roster["village"])
        info = runtime.facts.next_station_day(session, village, NOW, runtime.config.get("station_days") or {})
        session.add(StationDayChange(village_id=village.id, day=info.regular, moved_to=None))
    after = there.say("o_ah", "驻点")
    assert after != before and f"{info.date.month}月{info.date.day}日" in before
    assert f"{info.date.month}月{info.date.day}日" not in after


def test_my_cases_pages_past_the_last_show_the_last(chat, runtime, roster):
    runtime.config["cases"]["page_size"] = 1
    for i in range(3):
        chat.say("o_ah", f"村口第{i}盏路灯坏了好几天了，晚上很黑")
        chat.tick(minutes=5)
    from models import Case
    with runtime.Session() as session:
        owners = {c.assignee_id for c in session.query(Case)}
    cadre = next(iter(owners))
    with runtime.Session() as session:
        openid = session.get(Cadre, cadre).openid
    first, last, beyond = chat.say(openid, "我的"), chat.say(openid, "我的 3"), chat.say(openid, "我的 9")
    assert "第 1/3 页" in first and "第 3/3 页" in last
    assert beyond == last


def test_a_known_residents_last_message_time_is_set_with_the_stored_message(runtime, roster):
    """The second message of a resident costs no look-up: their last message time rides on the message's INSERT."""
    from models import InboundMessage, Resident
    from tests.dialog import Chat

    chat = Chat(runtime, NOW)
    chat.say("o_new", "帮助")
    assert "o_new" in runtime.facts.resident_ids
    chat.tick(hours=5)
    chat.say("o_new", "进度")
    with runtime.Session() as session:
        resident = session.query(Resident).filter_by(openid="o_new").one()
        stored = session.query(InboundMessage).filter_by(openid="o_new").order_by(InboundMessage.id).all()
        assert resident.last_message_at.replace(tzinfo=None) == (NOW + timedelta(hours=5)).replace(tzinfo=None)
        assert [m.content for m in stored] == ["帮助", "进度"] and not any(m.failed for m in stored)
        assert all(m.received_at is not None for m in stored)
