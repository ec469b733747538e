"""Channel rules and every error path of a push, against the fake WeChat API."""
import logging
import re
from datetime import timedelta

import pytest

from bot.cases.outbox import notify
from bot.delivery.channels import one_line
from bot.delivery.pauses import next_quota_reset, paused
from bot.delivery.relay import relay_once
from bot.roster.invites import create_invite
from bot.timefmt import CHINA
from models import Cadre, Notification, Resident, utcnow
from tests.dialog import Chat
from tests.pushes import roster, rows, send_due, sends

pytestmark = pytest.mark.pushes

CS = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
WECOM = "/cgi-bin/message/send"
ANSWER = "您反映的问题（案件 JH-2026-00001）已办结。\n答复：路灯已修好，感谢您的反映。\n满意请回复“满意 JH-2026-00001”。"


@pytest.fixture
def people(runtime):
    """The roster, with resident 0 having written an hour ago and resident 1 three days ago."""
    with runtime.Session.begin() as session:
        found = roster(session)
        found["residents"][0].last_message_at = utcnow() - timedelta(hours=1)
        found["residents"][1].last_message_at = utcnow() - timedelta(hours=72)
        return {"cadres": {k: found[k].id for k in ("leader", "member", "secretary", "helper")},
                "residents": [r.id for r in found["residents"]]}


def push(runtime, kind: str, person_id: int, count: int = 1, content: str = ANSWER, title: str = "案件已办结",
         source: str = "test") -> None:
    """Write ``count`` notifications to one resident or cadre."""
    with runtime.Session.begin() as session:
        person = session.get(Resident if kind == "resident" else Cadre, person_id)
        for i in range(count):
            notify(session, f"{source}:{i}", person, "answer", content, title=title)


def openid_of(runtime, resident_id: int) -> str:
    with runtime.Session() as session:
        return session.get(Resident, resident_id).openid


def test_resident_within_48_hours_gets_a_customer_service_message(runtime, fake, people):
    push(runtime, "resident", people["residents"][0])
    assert send_due(runtime) == ["sent"]
    [record] = sends(fake)
    assert record["path"] == CS and record["body"]["text"]["content"] == ANSWER
    assert rows(runtime)[0].channel == "customer_service"


def test_resident_outside_48_hours_gets_a_short_one_line_template(runtime, fake, people):
    push(runtime, "resident", people["residents"][1], title="案件 JH-2026-00001 已办结，请查看答复内容")
    assert send_due(runtime) == ["sent"]
    [record] = sends(fake)
    assert record["path"] == TEMPLATE and record["body"]["template_id"] == "TEMPLATE_CASE_NOTICE"
    data = {name: field["value"] for name, field in record["body"]["data"].items()}
    assert set(data) == {"thing1", "character_string2", "time3", "thing4"}  # no first/remark since 2023
    assert all(len(v) <= 20 and "\n" not in v for v in data.values())
    assert data["thing1"].startswith("案件 JH-2026-00001")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", data["time3"])


def test_template_fields_are_one_line_of_at_most_20_characters():
    assert one_line("第一行\n第二行 很长很长很长很长很长很长很长很长很长") == "第一行 第二行 很长很长很长很长很长很…"
    assert len(one_line("x" * 50)) == 20 and one_line("短") == "短"


def test_a_resident_who_never_wrote_gets_a_template(runtime, fake, people):
    push(runtime, "resident", people["residents"][2])
    send_due(runtime)
    assert [r["path"] for r in sends(fake)] == [TEMPLATE]


def test_at_most_five_customer_service_messages_per_window(runtime, fake, people):
    fake.configure(enforce_customer_service=True)
    fake.user_activity(openid_of(runtime, people["residents"][0]))
    push(runtime, "resident", people["residents"][0], count=7)
    assert send_due(runtime) == ["sent"] * 7
    assert [r["path"] for r in sends(fake)] == [CS] * 5 + [TEMPLATE] * 2
    assert all(r["errcode"] == 0 for r in sends(fake))


@pytest.mark.parametrize("errcode", [45015, 45047])
def test_outside_the_window_falls_back_to_a_template(runtime, fake, people, errcode):
    fake.fail(errcode, path=CS)
    push(runtime, "resident", people["residents"][0])
    assert send_due(runtime) == ["sent"]
    assert [(r["path"], r["errcode"]) for r in sends(fake)] == [(CS, errcode), (TEMPLATE, 0)]
    assert rows(runtime)[0].channel == "template"


def test_daily_quota_pauses_the_channel_until_midnight_china_time(runtime, fake, people, caplog):
    fake.fail(45009, path=TEMPLATE)
    push(runtime, "resident", people["residents"][1], count=2)
    with caplog.at_level(logging.WARNING):
        assert send_due(runtime) == ["deferred", "deferred"]
    assert len(sends(fake)) == 1  # the second row saw the pause and did not call WeChat
    now = utcnow()
    assert paused(runtime.redis, now) == {"template": next_quota_reset(now)}
    assert next_quota_reset(now).astimezone(CHINA).hour == 0
    assert "paused until" in caplog.text and "45009" in caplog.text
    for row in rows(runtime):  # waiting for the reset, without an attempt counted against them
        assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, next_quota_reset(now))
    assert send_due(runtime) == []


def test_quota_on_customer_service_still_allows_the_template(runtime, fake, people):
    fake.fail(45009, path=CS)
    push(runtime, "resident", people["residents"][0], count=2)
    assert send_due(runtime) == ["sent", "sent"]
    assert [r["path"] for r in sends(fake)] == [CS, TEMPLATE, TEMPLATE]


@pytest.mark.parametrize("failure", ["system_error", "http_503", "timeout"])
def test_transient_failures_back_off_then_give_up(runtime, fake, people, failure):
    push(runtime, "resident", people["residents"][0])
    cfg = runtime.config["notifications"]
    cfg["http_timeout_seconds"] = 0.3  # before the client is built: the timeout case stays quick
    now = utcnow()
    for attempt in range(1, cfg["max_attempts"] + 1):
        if failure == "timeout":
            fake.slow(0.6, path=CS)
        else:
            fake.fail(-1 if failure == "system_error" else 503, path=CS)
        [state] = send_due(runtime, now)
        [row] = rows(runtime)
        assert row.attempts == attempt and row.state == state
        if attempt < cfg["max_attempts"]:
            assert state == "failed"
            wait = (row.next_attempt_at - now).total_seconds()
            base = cfg["backoff_base_seconds"] * 2 ** (attempt - 1)
            assert 0.5 * base <= wait <= 1.5 * base  # exponential, with jitter
            assert send_due(runtime, now) == []  # not before its time
            now = row.next_attempt_at
    assert state == "given_up" and "gave up after 3 attempts" in row.last_error
    assert row.last_error.startswith("gave up") and ("-1" in row.last_error or "503" in row.last_error
                                                     or "timeout" in row.last_error)


def test_unfollowed_user_is_given_up_with_the_reason(runtime, fake, people):
    fake.fail(43004, path=TEMPLATE)
    push(runtime, "resident", people["residents"][1])
    assert send_due(runtime) == ["given_up"]
    [row] = rows(runtime)
    assert row.attempts == 1 and "43004" in row.last_error and "unfollowed" in row.last_error


def test_expired_token_is_refreshed_and_the_push_sent_once(runtime, fake, people):
    fake.fail(40001, path=CS)
    push(runtime, "resident", people["residents"][0])
    assert send_due(runtime) == ["sent"]
    assert [(r["path"], r["errcode"]) for r in sends(fake)] == [(CS, 40001), (CS, 0)]


def test_cadre_with_wecom_id_gets_a_wecom_message(runtime, fake, people):
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).wecom_userid = "wangganbu"
    push(runtime, "cadre", people["cadres"]["member"], content="【新案件】JH-2026-00001")
    assert send_due(runtime) == ["sent"]
    [record] = sends(fake)
    assert record["path"] == WECOM and record["body"]["touser"] == "wangganbu"
    assert record["body"]["agentid"] == 1000002
    assert rows(runtime)[0].channel == "wecom"


def test_wecom_invaliduser_falls_back_to_the_official_account(runtime, fake, people):
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).wecom_userid = "invalid-wang"
    push(runtime, "cadre", people["cadres"]["member"])
    assert send_due(runtime) == ["sent"]
    assert [r["path"] for r in sends(fake)] == [WECOM, TEMPLATE]  # no recent message: template
    assert sends(fake)[1]["to"] == "o-13800000002"


def test_without_wecom_configured_a_cadre_is_reached_by_openid(runtime, fake, people):
    runtime.wechat_api = _api_without_wecom(runtime)
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).wecom_userid = "wangganbu"
    push(runtime, "cadre", people["cadres"]["member"])
    send_due(runtime)
    assert [(r["path"], r["to"]) for r in sends(fake)] == [(TEMPLATE, "o-13800000002")]


def test_a_push_to_an_unbound_cadre_waits_and_goes_out_when_they_bind(runtime, fake, people):
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).openid = None
        code = create_invite(session, "13800000002", utcnow()).code
    push(runtime, "cadre", people["cadres"]["member"])
    assert send_due(runtime) == ["waiting"]
    assert send_due(runtime) == []  # parked: the relay does not claim it again and again
    [row] = rows(runtime)
    assert (row.state, row.attempts, row.last_error) == ("waiting", 0, runtime.config["notifications"]["texts"]["waiting_unbound"])
    assert sends(fake) == []
    chat = Chat(runtime, utcnow())
    assert "认证成功" in chat.say("o-new-phone", f"认证 {code}")
    assert rows(runtime)[0].state == "pending"
    assert send_due(runtime) == ["sent"]
    assert [r["to"] for r in sends(fake)] == ["o-new-phone"]


def test_a_push_that_waited_past_the_age_limit_is_given_up(runtime, fake, people):
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).openid = None
        code = create_invite(session, "13800000002", utcnow()).code
    push(runtime, "cadre", people["cadres"]["member"])
    assert send_due(runtime) == ["waiting"]
    limit = runtime.config["notifications"]["unbound_wait_hours"]
    later = utcnow() + timedelta(hours=limit + 1)
    relay_once(runtime, later)  # the relay's sweep
    [row] = rows(runtime)
    assert (row.state, row.last_error) == ("given_up", runtime.config["notifications"]["texts"]["gave_up_waited"])
    Chat(runtime, later).say("o-new-phone", f"认证 {code}")  # binding late does not revive it
    assert rows(runtime)[0].state == "given_up" and send_due(runtime, later) == []


def test_a_waiting_push_goes_out_once_a_roster_import_gives_a_wecom_id(runtime, fake, people):
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).openid = None
    push(runtime, "cadre", people["cadres"]["member"])
    assert send_due(runtime) == ["waiting"]
    relay_once(runtime)  # nothing changed: it keeps waiting
    assert rows(runtime)[0].state == "waiting"
    with runtime.Session.begin() as session:
        session.get(Cadre, people["cadres"]["member"]).wecom_userid = "wangganbu"  # as the roster import sets it
    relay_once(runtime)
    assert rows(runtime)[0].state in ("pending", "sending")
    with runtime.Session.begin() as session:  # the relay claimed it for its queue; deliver it here instead
        session.execute(Notification.__table__.update().values(state="pending", next_attempt_at=utcnow()))
    assert send_due(runtime) == ["sent"] and [r["path"] for r in sends(fake)] == [WECOM]


def test_an_unbound_cadre_with_a_wecom_id_is_reached_at_once(runtime, fake, people):
    with runtime.Session.begin() as session:
        cadre = session.get(Cadre, people["cadres"]["member"])
        cadre.openid, cadre.wecom_userid = None, "wangganbu"
    push(runtime, "cadre", people["cadres"]["member"])
    assert send_due(runtime) == ["sent"]
    assert [r["path"] for r in sends(fake)] == [WECOM]


def _api_without_wecom(runtime):
    from bot.wechat.client import WeChatApi

    settings = runtime.settings
    return WeChatApi(base_url=settings.wechat_api_base_url, app_id=settings.wechat_app_id,
                     app_secret=settings.wechat_app_secret, redis=runtime.redis, timeout=1)
