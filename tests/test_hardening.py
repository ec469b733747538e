"""Protocol hardening, attacked through /wechat: security modes, field bounds, passive reply size."""
import logging
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import create_app
from bot.settings import SettingsError, load_settings
from models import InboundMessage, Notification, Resident
from tests import wechat
from tests.roster_fixture import build, resident
from tests.wechat import post, push_xml, reply_text, signed_query


def stored(runtime) -> int:
    with runtime.Session() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage))


@pytest.fixture
def safe_app(settings_overrides):
    """The app in safe mode (the default once an AES key is set)."""
    overrides = {k: v for k, v in settings_overrides.items() if k != "WECHAT_SECURITY_MODE"}
    app = create_app(overrides)
    yield app
    app.extensions["bot"].engine.dispose()


def test_safe_is_the_default_with_an_aes_key_and_needs_one(settings_overrides):
    base = {k: v for k, v in settings_overrides.items() if k != "WECHAT_SECURITY_MODE"}
    assert load_settings(base).wechat_security_mode == "safe"
    assert load_settings({**base, "WECHAT_AES_KEY": ""}).wechat_security_mode == "plaintext"
    with pytest.raises(SettingsError, match="WECHAT_SECURITY_MODE"):
        load_settings({**base, "WECHAT_SECURITY_MODE": "lax"})
    with pytest.raises(SettingsError, match="WECHAT_AES_KEY"):
        load_settings({**base, "WECHAT_AES_KEY": "", "WECHAT_SECURITY_MODE": "safe"})


def test_safe_mode_refuses_a_plaintext_body_with_a_captured_query(safe_app):
    runtime, client = safe_app.extensions["bot"], safe_app.test_client()
    # A genuine encrypted push is answered (and encrypted back).
    assert "绑定" in reply_text(post(client, push_xml("o_real", Content="帮助"), aes=True), aes=True)
    # The attacker replays a valid query string (signature, timestamp, nonce) with their own body.
    query = signed_query(encrypt_type="aes", msg_signature="0" * 40)
    response = client.post("/wechat?" + urlencode(query), data=push_xml("o_victim", Content="帮助").encode())
    assert response.status_code == 403
    # Dropping encrypt_type does not help either.
    response = post(client, push_xml("o_victim", Content="帮助"))
    assert response.status_code == 403
    assert stored(runtime) == 1


def test_compatible_mode_verifies_encrypt_even_without_encrypt_type(client, runtime):
    """A plaintext body carrying a forged Encrypt is verified, not ignored."""
    body = push_xml("o_x", Content="帮助").replace("</xml>", "<Encrypt><![CDATA[AAAA]]></Encrypt></xml>")
    response = client.post("/wechat?" + urlencode(signed_query(msg_signature="0" * 40)), data=body.encode())
    assert response.status_code == 403
    assert stored(runtime) == 0


@pytest.mark.parametrize("field, value", [("FromUserName", "o" + "x" * 5000), ("MsgId", "9" * 400),
                                          ("ToUserName", "gh_" + "y" * 300)])
def test_over_long_ids_are_400_and_store_nothing(client, runtime, caplog, field, value):
    xml = push_xml("o_ok", Content="村口路坏了，家暴求助") if field != "FromUserName" else push_xml(value, Content="家暴求助")
    if field == "MsgId":
        xml = re.sub(r"<MsgId>.*?</MsgId>", f"<MsgId><![CDATA[{value}]]></MsgId>", xml)
    if field == "ToUserName":
        xml = xml.replace(wechat.ACCOUNT, value)
    with caplog.at_level(logging.INFO):
        response = post(client, xml)
    assert response.status_code == 400
    assert stored(runtime) == 0
    assert "家暴" not in caplog.text


def test_an_over_long_text_is_refused_with_a_chinese_reply(client, runtime):
    reply = wechat.say(client, "o_long", "长" * 5000)
    assert "太长" in reply
    assert stored(runtime) == 0


def test_binding_with_a_huge_name_is_cheap_and_refused(client, runtime):
    reply = wechat.say(client, "o_big", "绑定 " + "村" * 1900)
    assert "名称太长" in reply
    with runtime.Session() as session:
        assert session.scalar(select(Resident.village_id).where(Resident.openid == "o_big")) is None


def test_text_kept_before_binding_is_bounded(client, runtime):
    limit = runtime.config["cases"]["pending_max_chars"]
    replies = [wechat.say(client, "o_flood", f"第{i}条" + "路" * 1500) for i in range(4)]
    assert "较早的内容已删除" in replies[-1] and "较早" not in replies[0]
    with runtime.Session() as session:
        kept = session.scalar(select(Resident.pending_text).where(Resident.openid == "o_flood"))
    assert len(kept) == limit and "第3条" in kept and "第0条" not in kept


def test_a_long_answer_is_split_under_2048_bytes_with_the_rest_in_the_outbox(client, runtime):
    with runtime.Session.begin() as session:
        rows = build(session)
        me = resident(session, "o_many", rows["village"])
        resident_id = me.id
    from handlers.registry import Route

    long = "\n".join(f"第{i}行：" + "很长的答复" * 30 for i in range(30))
    runtime.registry.routes.insert(0, Route(lambda m: "" if m.text == "长答复" else None,
                                            lambda m, s, c: long, None, "长答复"))
    response = post(client, push_xml("o_many", Content="长答复"), aes=True)
    assert len(response.get_data()) < 4096
    first = reply_text(response, aes=True)
    assert len(first.encode()) <= 2048 and "其余" in first
    with runtime.Session() as session:
        rest = session.scalars(select(Notification).where(Notification.recipient_id == resident_id,
                                                          Notification.kind == "reply_more").order_by(Notification.id)).all()
    assert rest and all(len(r.content.encode()) <= 2048 for r in rest)
    assert f"其余 {len(rest)} 条" in first
    assert (first.rsplit("\n", 1)[0] + "\n" + "\n".join(r.content for r in rest)).replace("\n", "") == long.replace("\n", "")


def test_logs_carry_no_query_strings(client, caplog):
    from bot.logs import mask

    query = urlencode(signed_query(token="wrongtoken"))
    with caplog.at_level(logging.INFO):
        client.post("/wechat?" + query, data=push_xml("o1", Content="x"))
    line = f'127.0.0.1 - - "POST /wechat?{query} HTTP/1.1" 403 -'
    assert "signature=" not in mask(line) and "/wechat?" in mask(line)
    assert "signature=" not in caplog.text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(openid=st.text(alphabet="oabcXYZ019_-", min_size=1, max_size=120), msg_id=st.integers(0, 10**40))
def test_any_id_length_is_200_or_400_never_500(client, runtime, openid, msg_id):
    xml = re.sub(r"<MsgId>.*?</MsgId>", f"<MsgId>{msg_id}</MsgId>", push_xml(openid, Content="帮助"))
    status = post(client, xml).status_code
    too_long = len(openid) > 64 or len(str(msg_id)) > 20
    assert status == (400 if too_long else 200), (openid, msg_id, status)
