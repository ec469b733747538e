"""Every role x every chat command x in scope / out of scope: allowed or refused, from one table.

Scopes (tests/roster_fixture.py plus a village in another county): a member acts on cases routed
to or owned by them; a leader on the team's villages; a secretary on the township; a supervisor
reads the county; an admin acts through the CLI only; a resident sees only their own cases.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import create_app
from models import CaseEvent, Team, Township, Village
from tests import roster_fixture, servers, wechat
from tests.case_factory import make_case
from tests.databases import POSTGRES_URL, truncate
from tests.dialog import Chat
from tests.roster_fixture import NOW

ACTORS = {"member": "o_huang", "leader": "o_chen", "secretary": "o_lin", "supervisor": "o_zhao",
          "admin": "o_admin", "resident": "o_ah"}
# Per role: (village, handler, reporting resident) of a case in scope and of one out of scope.
PLACES = {
    "member": {"in": ("village", "road", "ah"), "out": ("village", "farm", "ah")},
    "leader": {"in": ("village", "road", "ah"), "out": ("village2", "leader2", "dong")},
    "secretary": {"in": ("village2", "leader2", "dong"), "out": ("other_village", "other_leader", "far")},
    "supervisor": {"in": ("other_village", "other_leader", "far"), "out": ("yx_village", "yx_leader", "yx")},
    "admin": {"in": ("village", "road", "ah"), "out": ("village2", "leader2", "dong")},
    "resident": {"in": ("village", "road", "ah"), "out": ("village", "road", "bo")},
}
CADRES = ("member", "leader", "secretary", "supervisor", "admin")
# Commands on one case: the words sent ({n}: its number) and the state the case is in first.
CASE_COMMANDS = {
    "接单": ("接单 {n}", "assigned"), "转办": ("转办 {n} 周干事", "assigned"), "详情": ("详情 {n}", "accepted"),
    "备注": ("备注 {n} 已电话联系", "accepted"), "上报": ("上报 {n} 需要协调", "accepted"),
    "改类": ("改类 {n} 农业生产", "accepted"), "办结": ("办结 {n} 已修好", "accepted"),
    "进度": ("进度 {n}", "resolved"), "满意": ("满意 {n}", "resolved"), "不满意": ("不满意 {n} 没修好", "resolved"),
}
RESIDENT_COMMANDS = {"进度", "满意", "不满意"}
# Commands on a village ({v}: its name), and commands without a scope.
VILLAGE_COMMANDS = {"周报": ("周报 {v}", {"leader", "secretary", "supervisor"}),
                    "超时": ("超时 {v}", {"leader", "secretary", "supervisor"}),
                    "公告": ("公告 {v} 本周六停水", {"leader"}),
                    "督查": ("督查 {v} 到岗 团队在岗", {"supervisor"})}
PLAIN_COMMANDS = {"我的": set(CADRES), "我的村": set(CADRES), "日志 今天走访了三户": {"member", "leader"},
                  "议题": {"secretary"}, "月报": {"secretary", "supervisor"}, "排名": {"supervisor"}}


def _case_rows():
    for command in CASE_COMMANDS:
        for role in ACTORS:
            for scope in ("in", "out"):
                if command in RESIDENT_COMMANDS:
                    allowed = role == "resident" and scope == "in"
                elif role in ("resident", "admin"):
                    allowed = False
                else:
                    allowed = scope == "in" and (role != "supervisor" or command == "详情")
                yield pytest.param(role, command, scope, allowed, id=f"{role}-{command}-{scope}")


def _other_rows():
    for command, (_, roles) in VILLAGE_COMMANDS.items():
        for role in ACTORS:
            for scope in ("in", "out"):
                yield pytest.param(role, command, scope, role in roles and scope == "in", id=f"{role}-{command}-{scope}")
    for command, roles in PLAIN_COMMANDS.items():
        for role in ACTORS:
            yield pytest.param(role, command, "any", role in roles, id=f"{role}-{command.split()[0]}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """One app and roster per database for the whole table (an app per row would take minutes)."""
    folder = tmp_path_factory.mktemp("permissions")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'bot.sqlite3'}"
    else:
        truncate(request.getfixturevalue("postgres_schema"))
        url = POSTGRES_URL
    app = create_app({"WECHAT_TOKEN": wechat.TOKEN, "WECHAT_APP_ID": wechat.APP_ID,
                      "WECHAT_APP_SECRET": wechat.APP_SECRET, "DATABASE_URL": url, "REDIS_URL": servers.redis_url(),
                      "BOT_INSTANCE": str(folder / "instance")})
    runtime = app.extensions["bot"]
    if request.param == "sqlite":
        import models
        models.Base.metadata.create_all(runtime.engine)
    runtime.redis.flushdb()
    runtime.config["abuse"] = {"rate_limit_per_minute": 0}  # this table is about permissions, not abuse
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        yx = session.scalar(select(Township).where(Township.code == "YX"))
        rows["yx_leader"] = roster_fixture.cadre(session, "孙组长", "sun", "leader")
        rows["admin"] = roster_fixture.cadre(session, "管理员", "admin", "admin")
        session.flush()
        rows["yx_village"] = Village(name="远山村", township=yx, team=Team(leader=rows["yx_leader"]))
        session.add(rows["yx_village"])
        for name, village in (("ah", "village"), ("bo", "village"), ("dong", "village2"), ("far", "other_village"),
                              ("yx", "yx_village")):
            rows[name] = roster_fixture.resident(session, f"o_{name}", rows[village])
        ids = {key: (type(row), row.id) for key, row in rows.items()}
    yield runtime, ids
    runtime.redis.flushdb()
    runtime.engine.dispose()


def _case(runtime, ids, place, state: str) -> tuple[str, int]:
    """A fresh case at ``place`` in ``state``; returns its number and id."""
    village_key, handler_key, resident_key = place
    with runtime.Session.begin() as session:
        get = {key: session.get(*ids[key]) for key in (village_key, handler_key, resident_key)}
        case = make_case(session, get[village_key], get[resident_key], NOW - timedelta(hours=2), state=state,
                         assignee=get[handler_key] if state == "assigned" else None,
                         owner=None if state == "assigned" else get[handler_key],
                         accepted=None if state == "assigned" else timedelta(hours=1),
                         resolved=timedelta(hours=1, minutes=30) if state == "resolved" else None)
        return case.number, case.id


def _refusals(runtime) -> list[str]:
    """The fixed words of every refusal text (the longest run between placeholders)."""
    texts = runtime.config["texts"]
    keys = ("not_allowed", "case_refused", "case_not_found", "summary_unknown_village")
    return [max(texts[k].replace("}", "{").split("{")[::2], key=len) for k in keys]


def _events(runtime, case_id: int) -> int:
    with runtime.Session() as session:
        return session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))


def _check(runtime, reply: str, allowed: bool) -> None:
    refused = any(fragment in reply for fragment in _refusals(runtime))
    assert refused != allowed, reply
    if allowed:
        assert "用法" not in reply and "不能" not in reply, f"the table's setup is wrong: {reply}"


@pytest.mark.parametrize("role, command, scope, allowed", list(_case_rows()))
def test_case_command(world, role, command, scope, allowed):
    runtime, ids = world
    words, state = CASE_COMMANDS[command]
    number, case_id = _case(runtime, ids, PLACES[role][scope], state)
    before = _events(runtime, case_id)
    reply = Chat(runtime, NOW).say(ACTORS[role], words.format(n=number)) or ""
    _check(runtime, reply, allowed)
    changed = _events(runtime, case_id) != before
    assert changed == (allowed and command not in ("详情", "进度")), "only an allowed action writes the ledger"


@pytest.mark.parametrize("role, command, scope, allowed", list(_other_rows()))
def test_other_command(world, role, command, scope, allowed):
    runtime, ids = world
    words = command
    if command in VILLAGE_COMMANDS:
        place = PLACES[role][scope][0]
        with runtime.Session() as session:
            words = VILLAGE_COMMANDS[command][0].format(v=session.get(*ids[place]).name)
    reply = Chat(runtime, NOW).say(ACTORS[role], words) or ""
    _check(runtime, reply, allowed)


def test_residents_see_only_their_own_cases(world):
    runtime, ids = world
    mine, _ = _case(runtime, ids, PLACES["resident"]["in"], "accepted")
    theirs, _ = _case(runtime, ids, PLACES["resident"]["out"], "accepted")
    reply = Chat(runtime, NOW).say("o_ah", "进度")
    assert mine in reply and theirs not in reply


def test_my_cases_lists_only_the_cadres_own(world):
    runtime, ids = world
    mine, _ = _case(runtime, ids, ("village", "committee", "ah"), "accepted")  # 吴主任 has no other case
    theirs, _ = _case(runtime, ids, ("village", "farm", "ah"), "accepted")
    reply = Chat(runtime, NOW).say("o_wu", "我的")
    assert mine in reply and theirs not in reply
