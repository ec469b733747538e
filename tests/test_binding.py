"""Binding through /wechat: QR scene, SCAN, name, numbered choice, rebinding; cadres' invite codes; cards."""
import time
from datetime import datetime, timedelta, timezone
from itertools import count
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import handlers.intake
from bot.cli import cli
from bot.roster.importer import import_roster
from bot.roster.invites import create_invite
from bot.villages.station_day import next_station_day
from bot.wechat.fake import FakeWeChatServer
from models import Cadre, InviteCode, Resident, Village
from tests.wechat import post, push_xml, reply_text, say

DEMO = Path(__file__).resolve().parent.parent / "bot" / "demo" / "roster.yaml"


@pytest.fixture
def villages(runtime) -> dict:
    """The demo roster imported; village ids by 'township+village'."""
    import_roster(runtime.Session, DEMO, runtime.config["categories"])
    with runtime.Session() as session:
        return {f"{v.township.name}{v.name}": v.id for v in session.scalars(select(Village))}


_clock = count(int(time.time()))


def event(client, openid: str, **fields) -> str | None:
    """Push an event; each gets its own CreateTime, since WeChat de-duplicates events by it."""
    response = post(client, push_xml(openid, "event", when=next(_clock), **fields))
    assert response.status_code == 200
    return reply_text(response)


def bound_to(runtime, openid: str) -> str | None:
    with runtime.Session() as session:
        resident = session.scalar(select(Resident).where(Resident.openid == openid))
        return resident and resident.village and f"{resident.village.township.name}{resident.village.name}"


def test_subscribe_with_qr_scene_binds(client, runtime, villages):
    reply = event(client, "o_r1", Event="subscribe", EventKey=f"qrscene_village_{villages['青山镇上坪村']}", Ticket="t")
    assert reply.startswith("已绑定：青山镇上坪村")
    assert "星期二" in reply and "下午" in reply
    assert bound_to(runtime, "o_r1") == "青山镇上坪村"


def test_scan_rebinds_an_existing_follower(client, runtime, villages):
    say(client, "o_r2", "绑定 上坪")
    reply = event(client, "o_r2", Event="SCAN", EventKey=f"village_{villages['白水街道云岭村']}", Ticket="t")
    assert reply.startswith("已绑定：白水街道云岭村")
    assert bound_to(runtime, "o_r2") == "白水街道云岭村"


def test_stale_scene_and_plain_subscribe(client, runtime, villages):
    assert "二维码已失效" in event(client, "o_r3", Event="SCAN", EventKey="village_999999", Ticket="t")
    assert "请先告诉我们" in event(client, "o_r3", Event="subscribe")
    assert bound_to(runtime, "o_r3") is None
    say(client, "o_r3", "绑定 河口")
    assert "欢迎回来！您已绑定青山镇河口社区" in event(client, "o_r3", Event="subscribe")


@pytest.mark.parametrize("typed, village", [
    ("绑定 上坪村", "青山镇上坪村"),
    ("绑定 上坪", "青山镇上坪村"),        # an alias, without 村
    ("绑定　河口", "青山镇河口社区"),      # without 社区, full-width space
    ("绑定 云岭村委会", "白水街道云岭村"),  # with 村委会
    ("绑定 青山镇东山村", "青山镇东山村"),  # the township in front settles an ambiguous name
])
def test_bind_by_name(client, runtime, villages, typed, village):
    assert say(client, "o_r4", typed).startswith(f"已绑定：{village}")
    assert bound_to(runtime, "o_r4") == village


def test_unknown_name_and_missing_name(client, runtime, villages):
    assert "没有找到“火星村”" in say(client, "o_r5", "绑定 火星村")
    assert "例如“绑定 上坪村”" in say(client, "o_r5", "绑定")
    assert bound_to(runtime, "o_r5") is None


def test_ambiguous_name_offers_a_numbered_choice(client, runtime, villages):
    reply = say(client, "o_r6", "绑定 东山")
    assert "1. 青山镇东山村" in reply and "2. 白水街道东山村" in reply
    assert "1 到 2" in say(client, "o_r6", "3")
    assert say(client, "o_r6", " 2 ").startswith("已绑定：白水街道东山村")
    assert bound_to(runtime, "o_r6") == "白水街道东山村"
    # The list is closed: another number is no longer a choice.
    assert "序号" not in (say(client, "o_r6", "1") or "")
    assert bound_to(runtime, "o_r6") == "白水街道东山村"


def test_a_number_without_a_list_goes_to_the_other_handlers(client, runtime, villages):
    assert "序号" not in (say(client, "o_r7", "2") or "")
    assert bound_to(runtime, "o_r7") is None


def test_unbind_and_bind_again(client, runtime, villages):
    say(client, "o_r8", "绑定 上坪")
    assert say(client, "o_r8", "绑定 云岭").startswith("已绑定：白水街道云岭村")
    assert say(client, "o_r8", "解绑") == "已解绑白水街道云岭村。需要时可发送“绑定 村名”重新绑定。"
    assert bound_to(runtime, "o_r8") is None
    assert "还没有绑定" in say(client, "o_r8", "解绑")
    assert say(client, "o_r8", "绑定 上坪").startswith("已绑定：青山镇上坪村")


def test_text_written_before_binding_is_filed_on_bind(client, runtime, villages, monkeypatch):
    calls = []

    def file_pending(session, resident, message, context):
        calls.append((resident.pending_text, resident.village_id))
        resident.pending_text = ""
        return "已收到您反映的问题，案件编号 QS-0001。"

    monkeypatch.setattr(handlers.intake, "file_pending", file_pending)
    with runtime.Session.begin() as session:
        session.add(Resident(openid="o_r9", pending_text="村口路灯坏了三天", pending_choices=[]))
    reply = event(client, "o_r9", Event="subscribe", EventKey=f"qrscene_village_{villages['青山镇上坪村']}", Ticket="t")
    assert reply.startswith("已绑定：青山镇上坪村") and reply.endswith("已收到您反映的问题，案件编号 QS-0001。")
    assert calls == [("村口路灯坏了三天", villages["青山镇上坪村"])]
    with runtime.Session() as session:
        assert session.scalar(select(Resident.pending_text).where(Resident.openid == "o_r9")) == ""
    assert "案件编号" not in say(client, "o_r9", "绑定 河口")  # nothing waits any more
    assert len(calls) == 1


def test_contact_card_and_station_day(client, runtime, villages):
    assert "还没有绑定" in say(client, "o_c1", "联系卡")
    say(client, "o_c1", "绑定 上坪")
    card = say(client, "o_c1", "联系卡")
    assert card.startswith("【联系卡】青山镇上坪村驻点团队")
    assert "组长：陈组长（镇长）电话 13900000002 微信 chen_qs" in card
    assert "成员：黄干部（镇农办主任）电话 13900000003 微信 huang_qs" in card
    assert "周干部" in card and "吴主任" not in card  # leader and members; auxiliary not on the chat card
    with runtime.Session() as session:
        expected = next_station_day(session.get(Village, villages["青山镇上坪村"]), datetime.now(timezone.utc),
                                    runtime.config["station_days"]).text
    assert f"驻点时间：{expected}" in card
    assert say(client, "o_c1", "驻点") == f"青山镇上坪村下一次驻点：{expected}。"


def test_remote_village_station_day_and_menu_clicks(client, runtime, villages):
    say(client, "o_c2", "绑定 云岭")
    reply = event(client, "o_c2", Event="CLICK", EventKey="MENU_STATION")
    assert reply.startswith("白水街道云岭村下一次驻点：") and "云岭村委会" in reply and "每两周" in reply
    with runtime.Session() as session:
        day = next_station_day(session.get(Village, villages["白水街道云岭村"]), datetime.now(timezone.utc), {}).date
    assert ((day - datetime(2026, 11, 17).date()).days // 7) % 2 == 0
    assert event(client, "o_c2", Event="CLICK", EventKey="MENU_CARD").startswith("【联系卡】白水街道云岭村")


def invite(runtime, phone: str, now: datetime | None = None) -> str:
    with runtime.Session.begin() as session:
        return create_invite(session, phone, now or datetime.now(timezone.utc)).code


def test_invite_code_binds_a_cadre_once(client, runtime, villages):
    code = invite(runtime, "13900000002")
    assert say(client, "o_k1", "我的村").startswith("抱歉，您没有使用")
    assert say(client, "o_k1", f"认证 {code.lower()}").startswith("认证成功！陈组长（镇长），身份：组长")
    with runtime.Session() as session:
        assert session.scalar(select(Cadre.openid).where(Cadre.phone == "13900000002")) == "o_k1"
        assert session.scalar(select(InviteCode.used_at).where(InviteCode.code == code)) is not None
    mine = say(client, "o_k1", "我的村")
    assert "· 青山镇上坪村：" in mine and "· 青山镇东山村：" in mine and "河口" not in mine
    assert "已经使用过" in say(client, "o_k2", f"认证 {code}")
    with runtime.Session() as session:
        assert session.scalar(select(Cadre.openid).where(Cadre.phone == "13900000002")) == "o_k1"


def test_wrong_expired_and_missing_codes_are_refused(client, runtime, villages):
    assert "认证码不正确" in say(client, "o_k3", "认证 ABCDEFGH")
    old = invite(runtime, "13900000003", datetime.now(timezone.utc) - timedelta(days=7, minutes=1))
    assert "已过期" in say(client, "o_k3", f"认证 {old}")
    assert "认证码由管理员提供" in say(client, "o_k3", "认证")
    with runtime.Session() as session:
        assert session.scalar(select(Cadre.openid).where(Cadre.phone == "13900000003")) is None
    fresh = invite(runtime, "13900000003", datetime.now(timezone.utc) - timedelta(days=6))
    assert say(client, "o_k3", f"认证 {fresh}").startswith("认证成功！黄干部")


def test_secretary_without_a_team_sees_the_townships_villages(client, runtime, villages):
    say(client, "o_k4", f"认证 {invite(runtime, '13900000011')}")
    mine = say(client, "o_k4", "我的村")
    assert "白水街道东山村" in mine and "白水街道云岭村" in mine and "青山镇" not in mine


@pytest.fixture
def cli_env(monkeypatch, settings_overrides, villages):
    """A CLI run against the test database, Redis and a fake WeChat API."""
    with FakeWeChatServer() as fake:
        for name, value in {**settings_overrides, "WECHAT_API_BASE_URL": fake.url}.items():
            monkeypatch.setenv(name, value)
        yield CliRunner(), fake


def test_invite_command_prints_the_code_last(cli_env, runtime):
    runner, _ = cli_env
    result = runner.invoke(cli, ["invite", "13900000014"])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    with runtime.Session() as session:
        row = session.scalar(select(InviteCode).where(InviteCode.code == code))
        assert row.cadre.name == "冯组长"
        assert timedelta(days=6, hours=23) < row.expires_at - datetime.now(timezone.utc) <= timedelta(days=7)
    assert runner.invoke(cli, ["invite", "13000000000"]).exit_code == 1


def test_qrcode_command_creates_tickets_once_and_writes_pngs(cli_env, runtime, tmp_path, villages):
    runner, fake = cli_env
    result = runner.invoke(cli, ["qrcode", "--all", "--out", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    created = fake.messages(path="/cgi-bin/qrcode/create")
    assert sorted(m["body"]["action_info"]["scene"]["scene_str"] for m in created) == sorted(
        f"village_{vid}" for vid in villages.values())
    assert all(m["body"]["action_name"] == "QR_LIMIT_STR_SCENE" for m in created)
    pngs = sorted((tmp_path / "qr").glob("*.png"))
    assert len(pngs) == 5 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert runner.invoke(cli, ["qrcode", "上坪", "--out", str(tmp_path / "qr")]).exit_code == 0
    assert len(fake.messages(path="/cgi-bin/qrcode/create")) == 5  # the stored ticket is reused
    assert runner.invoke(cli, ["qrcode", "东山"]).exit_code == 1  # ambiguous


def test_card_command_writes_a_printable_a6_card(cli_env, tmp_path):
    runner, fake = cli_env
    result = runner.invoke(cli, ["card", "云岭", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = Path(result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert "size: A6" in html and "白水街道云岭村" in html
    for text in ("冯组长", "街道党工委委员", "13900000014", "feng_bs", "何干部", "云岭村委会", "data:image/png;base64,"):
        assert text in html
    assert len(fake.messages(path="/cgi-bin/qrcode/create")) == 1


def test_menu_command_installs_the_configured_menu(cli_env, runtime):
    runner, fake = cli_env
    result = runner.invoke(cli, ["menu"])
    assert result.exit_code == 0, result.output
    [call] = fake.messages(path="/cgi-bin/menu/create")
    assert call["body"] == runtime.config["menu"]
    keys = {b.get("key") for top in call["body"]["button"] for b in [top, *top.get("sub_button", [])]}
    assert {"MENU_CARD", "MENU_STATION", "MENU_BIND", "MENU_REPORT", "MENU_PROGRESS"} <= keys
