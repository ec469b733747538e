"""``dialogue evaluate``: play labelled chat messages through the bot and score each kind's handling.

The set-up is the one ``../shared/data/README.md`` describes: a resident who has not written before,
bound to 东坑村 of 白石镇 (team 梁志强, 何秀兰; station day Wednesday morning at 东坑村委会办公楼),
case numbers like ``T1-2026-00012``. Every row runs in a scratch SQLite database through the inbox
(de-duplication, one transaction, the registry), as a message from WeChat would.
"""
from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy import text as sql

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 China time
NUMBER = "T1-2026-00012"
PLACEHOLDERS = {"{Nl}": NUMBER.lower(), "{NW}": "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in NUMBER),
                "{N}": NUMBER, "{n5}": "00012", "{nw}": "１２", "{n}": "12"}
LEADER_PHONE, MEMBER_PHONE = "13911110002", "13911110003"
CASE_RECEIPT = re.compile(r"T1-\d{4}-\d{5}（([^）]+)）")
_ids = count(1)


@dataclass
class Row:
    """One labelled message: its kind, its text, and what is expected."""

    kind: str
    text: str
    expect: str


def read_rows(path: Path) -> list[Row]:
    """The rows of a ``kind,text,expect`` CSV."""
    with open(path, encoding="utf-8", newline="") as f:
        return [Row(r["kind"].strip(), r["text"], (r.get("expect") or "").strip()) for r in csv.DictReader(f)]


def build_roster(session) -> dict:
    """白石镇 and its 东坑村 with their team, as the data set's README describes; ids by short name."""
    from bot.roster.names import village_keys
    from models import Cadre, Membership, Team, Township, Village
    from models.roster import VillageName

    town = Township(name="白石镇", county="示范县", code="T1", station_weekday=3, station_half="morning")
    session.add(town)
    session.flush()
    people = {
        "leader": Cadre(name="梁志强", position="副镇长", phone=LEADER_PHONE, openid="o_leader", role="leader"),
        "member": Cadre(name="何秀兰", position="镇社会事务办主任", phone=MEMBER_PHONE, openid="o_member",
                        categories=["劳动和社会保障", "卫生计生", "教育文体"]),
        "secretary": Cadre(name="陈书记", position="镇党委书记", phone="13911110001", openid="o_secretary",
                           role="secretary", township_id=town.id),
    }
    session.add_all(people.values())
    session.flush()
    team = Team(leader=people["leader"], memberships=[Membership(cadre=people["member"])])
    village = Village(name="东坑村", township=town, team=team, place="东坑村委会办公楼")
    session.add_all([team, village])
    session.flush()
    session.add_all(VillageName(village=village, key=k) for k in village_keys(village.name, []))
    return {"village": village.id, **{k: v.id for k, v in people.items()}}


class Bench:
    """A scratch bot: an app on a fresh SQLite file per row (copied from one migrated template)."""

    def __init__(self, model: Path | None, redis_url: str | None) -> None:
        from bot import create_app
        from bot.db import make_engine, make_sessionmaker
        from bot.migrate import upgrade

        self.dir = Path(tempfile.mkdtemp(prefix="dialogue"))
        self.template = self.dir / "template.sqlite3"
        upgrade(f"sqlite:///{self.template}")
        engine = make_engine(f"sqlite:///{self.template}")
        with make_sessionmaker(engine).begin() as session:
            self.ids = build_roster(session)
        engine.dispose()
        self.db = self.dir / "bot.sqlite3"
        shutil.copy(self.template, self.db)
        instance = self.dir / "instance"
        instance.mkdir()
        if model is not None:
            shutil.copy(model, instance / "classifier.joblib")
        overrides = {"WECHAT_TOKEN": "evaluate", "WECHAT_APP_ID": "wxevaluate", "WECHAT_APP_SECRET": "evaluate",
                     "DATABASE_URL": f"sqlite:///{self.db}", "BOT_INSTANCE": str(instance)}
        if redis_url:
            overrides["REDIS_URL"] = redis_url
        self.app = create_app(overrides)
        self.runtime = self.app.extensions["bot"]
        self.filed = self.smalltalk_filed = 0  # complaints filed (any category); small talk filed or pushed

    def reset(self) -> None:
        """Empty every table a row may have written (the roster stays); the ledger's guard is this database's."""
        with self.runtime.engine.begin() as connection:
            connection.execute(sql("DROP TRIGGER IF EXISTS case_event_no_delete"))
            for table in ("notification", "case_event", "escalation", "case_reporter", "case", "case_counter",
                          "inbound_message", "resident", "knowledge_entry"):
                connection.execute(sql(f'DELETE FROM "{table}"'))
        self.runtime.redis.flushdb()

    def say(self, openid: str, text: str, now: datetime) -> str:
        """Send a text message through the inbox and return the reply."""
        from bot.inbox.receive import receive
        from handlers.message import Message

        message = Message(sender=openid, kind="text", time=now, msg_id=str(next(_ids) + 10**12), text=text)
        return receive(self.runtime, message, now=now) or ""

    def session(self):
        return self.runtime.Session()

    def close(self) -> None:
        """Stop what the bench started (its own Redis, when none was given) and remove its files."""
        from bot.redis_server import stop_own_redis

        self.runtime.engine.dispose()
        stop_own_redis(self.runtime.settings.instance_path)
        shutil.rmtree(self.dir, ignore_errors=True)


def _resident_with_case(bench: Bench, openid: str, state: str) -> None:
    """A resident of 东坑村 with case T1-2026-00012 (routed to the leader) in ``state``."""
    from models import Case, CaseEvent, CaseReporter, Resident

    with bench.runtime.Session.begin() as session:
        resident = Resident(openid=openid, village_id=bench.ids["village"], bound_at=NOW - timedelta(days=20))
        session.add(resident)
        session.flush()
        case = Case(number=NUMBER, village_id=bench.ids["village"], resident_id=resident.id, text="村口的路灯坏了好几盏",
                    category="城乡建设", state=state, assignee_id=bench.ids["leader"] if state == "assigned" else None,
                    owner_id=None if state == "assigned" else bench.ids["leader"], received_at=NOW - timedelta(days=10),
                    updated_at=NOW - timedelta(days=9), contact_due_at=NOW - timedelta(days=9),
                    resolve_due_at=NOW - timedelta(days=3), answer="已修好" if state == "resolved" else "",
                    resolved_at=NOW - timedelta(days=1) if state == "resolved" else None)
        session.add(case)
        session.add(CaseReporter(case=case, resident=resident, text=case.text, joined_at=case.received_at))
        session.add(CaseEvent(case=case, actor_kind="resident", actor_id=resident.id, action="receive",
                              to_state=state, at=case.received_at))


def _counts(bench: Bench) -> tuple[int, int, list[str]]:
    """(cases, complaints, every push's content) in the scratch database."""
    from models import Case, Notification

    with bench.session() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        complaints = session.scalar(select(func.count()).select_from(Case).where(Case.kind == "complaint"))
        pushes = list(session.scalars(select(Notification.content)))
    return cases, complaints, pushes


def _state(bench: Bench) -> str:
    from models import Case

    with bench.session() as session:
        return session.scalar(select(Case.state).where(Case.number == NUMBER)) or ""


def play(bench: Bench, row: Row, openid: str) -> tuple[bool, str]:
    """Play one row; whether the bot handled it as its kind asks, and the reply (for the report)."""
    text = row.text
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    if row.kind == "unbound_nonfiling":
        reply = bench.say(openid, text, NOW)
        bound = bench.say(openid, "绑定 东坑村", NOW + timedelta(seconds=30))
        progress = bench.say(openid, "进度", NOW + timedelta(seconds=60))
        cases, _, _ = _counts(bench)
        return cases == 0 and "T1-" not in bound and "已绑定" in bound and "还没有" in progress, reply
    if row.kind == "command_typo":
        return _command(bench, row.expect, text, openid)
    if row.kind == "verdict_bare":
        _resident_with_case(bench, openid, "resolved")
        reply = bench.say(openid, text, NOW)
        progress = bench.say(openid, f"进度 {NUMBER}", NOW + timedelta(seconds=30))
        if row.expect == "satisfied":
            return _state(bench) == "confirmed" and "感谢" in reply and "确认满意" in progress, reply
        return _state(bench) == "reopened" and "重新办理" in reply and "重新办理" in progress, reply
    _bind(bench, openid)
    reply = bench.say(openid, text, NOW)
    cases, complaints, pushes = _counts(bench)
    if row.kind == "complaint":
        found = CASE_RECEIPT.search(reply)
        bench.filed += complaints == 1
        return bool(found) and complaints == 1 and found.group(1) in row.expect.split("|"), reply
    if row.kind == "kb_station":
        return cases == 0 and ("东坑村委会办公楼" in reply or "星期三" in reply), reply
    if row.kind == "kb_contact":
        return cases == 0 and (LEADER_PHONE in reply or MEMBER_PHONE in reply), reply
    if row.kind == "open_question":
        asked = any(text.strip() in p for p in pushes)
        return asked and complaints == 0 and not CASE_RECEIPT.search(reply), reply
    if row.kind == "smalltalk":
        progress = bench.say(openid, "进度", NOW + timedelta(seconds=30))
        bench.smalltalk_filed += bool(cases or pushes)
        return cases == 0 and not pushes and bool(reply) and "还没有" in progress, reply
    raise ValueError(f"unknown kind {row.kind!r}")


def _bind(bench: Bench, openid: str) -> None:
    from models import Resident

    with bench.runtime.Session.begin() as session:
        session.add(Resident(openid=openid, village_id=bench.ids["village"], bound_at=NOW - timedelta(days=20)))


def _command(bench: Bench, command: str, text: str, openid: str) -> tuple[bool, str]:
    """A mistyped command: did it do what ``command`` does? (An unknown command name is simply wrong.)"""
    if command == "绑定":  # someone not bound yet names the demo village
        reply = bench.say(openid, text, NOW)
        return "已绑定" in reply and "东坑村" in reply, reply
    if command in ("详情", "接单"):
        _resident_with_case(bench, openid, "assigned")
        reply = bench.say("o_leader", text, NOW)
        if command == "接单":
            return _state(bench) == "accepted" and NUMBER in reply, reply
        return NUMBER in reply and "反映人数" in reply, reply
    _resident_with_case(bench, openid, "assigned")
    reply = bench.say(openid, text, NOW)
    checks = {
        "联系卡": lambda: LEADER_PHONE in reply and "联系卡" in reply,
        "驻点": lambda: "星期三" in reply and "东坑村委会办公楼" in reply,
        "进度": lambda: NUMBER in reply and "待接单" in reply,
        "帮助": lambda: "常用指令" in reply,
    }
    check = checks.get(command)
    return (check is not None and check()), reply


def evaluate(rows: list[Row], model: Path | None, redis_url: str | None = None):
    """Per-kind right and total, the overall accuracy, the rows got wrong, and the filing counts."""
    bench = Bench(model, redis_url)
    right, total, wrong = Counter(), Counter(), []
    try:
        for n, row in enumerate(rows):
            bench.reset()
            ok, reply = play(bench, row, f"o_resident_{n}")
            total[row.kind] += 1
            right[row.kind] += ok
            if not ok:
                wrong.append((row, reply))
    finally:
        bench.close()
    accuracy = sum(right.values()) / max(1, sum(total.values()))
    return right, total, accuracy, wrong, {"complaints filed": bench.filed, "small talk filed or pushed": bench.smalltalk_filed}
