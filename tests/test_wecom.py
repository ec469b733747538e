"""``/wecom``: WeCom's URL verification and encrypted callbacks, run as the cadre bound to the WeCom id.

Callbacks are built with WeRoBot's crypto (the same AES framing WeCom uses, with the corp id as
receive id), never with wechatpy, so the endpoint is not checked against itself; the published
sample vectors of WeCom's documentation check the crypto against WeCom's own numbers.
"""
import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werobot.crypto import MessageCrypt
from werobot.utils import generate_token, get_signature

from bot.wechat.protocol import Rejected
from bot.wechat.wecom import WeComProtocol
from models import Cadre, Case, CaseEvent, CaseReporter, InboundMessage, Notification, utcnow
from tests.pushes import make_case, roster
from tests.wechat import new_msg_id

# WeCom's published sample (企业微信 加解密方案说明 and its WXBizMsgCrypt samples).
SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
SAMPLE_ECHO = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
               "nonce": "263014780",
               "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}
SAMPLE_POST = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
               "nonce": "1372623149"}
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo"
    "+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGL"
    "YL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1"
    "s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0M"
    "BH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]>"
    "</Encrypt><AgentID><![CDATA[218]]></AgentID></xml>")

TOKEN, AES_KEY, CORP_ID = "wecomtoken", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "ww0123456789abcdef"


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "WECOM_CORP_ID": CORP_ID, "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY}


@pytest.fixture
def world(runtime):
    """The push roster; the member is bound to WeCom id ``wangganbu`` and owns an accepted case."""
    with runtime.Session.begin() as session:
        r = roster(session)
        r["member"].wecom_userid = "wangganbu"
        case = make_case(session, r["village"], r["residents"][0], r["member"], "JH-2026-00042",
                         utcnow() + timedelta(days=3))
        session.add(CaseReporter(case=case, resident=r["residents"][0]))
        return {"number": case.number, "member_id": r["member"].id}


def message_xml(userid: str, content: str, msg_id: str) -> str:
    """The plaintext of a WeCom app text message, as WeCom writes it."""
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{userid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def post(client, xml: str, token: str = TOKEN, timestamp: int | None = None, forge: bool = False):
    """POST a callback as WeCom does: encrypted, ``msg_signature`` in the query."""
    timestamp, nonce = str(timestamp or int(time.time())), generate_token(10)
    root = ET.fromstring(MessageCrypt(token, AES_KEY, CORP_ID).encrypt_message(xml, timestamp, nonce))
    signature = "0" * 40 if forge else root.findtext("MsgSignature")
    query = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{root.findtext('Encrypt')}]]>"
            f"</Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
    return client.post("/wecom?" + urlencode(query), data=body.encode(), content_type="text/xml")


def reply(response) -> tuple[str, str]:
    """(recipient, text) of an encrypted passive reply, decrypted and its signature checked."""
    assert response.status_code == 200, response.get_data(as_text=True)
    root = ET.fromstring(response.get_data(as_text=True))
    plain = MessageCrypt(TOKEN, AES_KEY, CORP_ID).decrypt_message(
        root.findtext("TimeStamp"), root.findtext("Nonce"), root.findtext("MsgSignature"), root.findtext("Encrypt"))
    answer = ET.fromstring(plain)
    return answer.findtext("ToUserName"), answer.findtext("Content")


def say(client, userid: str, content: str, msg_id: str | None = None):
    return reply(post(client, message_xml(userid, content, msg_id or new_msg_id())))


def test_published_sample_vectors():
    protocol = WeComProtocol(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP, 300)
    assert protocol.handshake(SAMPLE_ECHO) == "1616140317555161061"
    envelope = protocol.read(SAMPLE_POST, SAMPLE_BODY.encode(), now=1409659813)
    assert envelope.message.sender == "wecom:mycreate"
    assert envelope.message.text == "hello"
    assert envelope.message.msg_id == "wecom-4561255354251345929"
    with pytest.raises(Rejected) as refused:
        protocol.read({**SAMPLE_POST, "msg_signature": "0" * 40}, SAMPLE_BODY.encode(), now=1409659813)
    assert refused.value.status == 403
    with pytest.raises(Rejected):  # the sample is years old: replayed today it is stale
        protocol.read(SAMPLE_POST, SAMPLE_BODY.encode())


def test_url_verification_echoes_the_decrypted_echostr(client):
    timestamp, nonce = str(int(time.time())), generate_token(10)
    echostr = MessageCrypt(TOKEN, AES_KEY, CORP_ID).prp_crypto.encrypt("8172635", CORP_ID).decode()
    query = {"msg_signature": get_signature(TOKEN, timestamp, nonce, echostr), "timestamp": timestamp,
             "nonce": nonce, "echostr": echostr}
    answer = client.get("/wecom?" + urlencode(query))
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "8172635"
    forged = client.get("/wecom?" + urlencode({**query, "msg_signature": get_signature("other", timestamp, nonce,
                                                                                         echostr)}))
    assert forged.status_code == 403


def test_a_cadre_runs_commands_from_wecom(client, runtime, world):
    to, text = say(client, "wangganbu", f"详情 {world['number']}")
    assert to == "wangganbu"
    assert world["number"] in text and "龙湾村" in text
    to, text = say(client, "wangganbu", f"办结 {world['number']} 路灯已经修好")
    assert "办结" in text
    with runtime.Session() as session:
        case = session.scalar(select(Case).where(Case.number == world["number"]))
        assert (case.state, case.answer) == ("resolved", "路灯已经修好")
        event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "resolve"))
        assert (event.actor_kind, event.actor_id) == ("cadre", world["member_id"])
        # The answer's push to the resident was written with the change (the outbox).
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "answer", Notification.case_id == case.id)) == 1


def test_a_wecom_retry_acts_once_and_gets_the_same_reply(client, runtime, world):
    msg_id = new_msg_id()
    first = say(client, "wangganbu", f"备注 {world['number']} 已电话联系群众", msg_id)
    again = say(client, "wangganbu", f"备注 {world['number']} 已电话联系群众", msg_id)
    assert first == again
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.action.in_(("note", "start")))) == 1
        assert session.scalar(select(InboundMessage.openid).where(
            InboundMessage.dedupe_key == f"msg:wecom-{msg_id}")) == "wecom:wangganbu"


def test_someone_not_on_the_roster_is_told_and_nothing_is_stored(client, runtime, world):
    _, text = say(client, "stranger", f"办结 {world['number']} 好了")
    assert "没有登记" in text
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        assert session.scalar(select(Case.state).where(Case.number == world["number"])) == "accepted"


def test_a_deactivated_cadre_is_not_recognised(client, runtime, world):
    with runtime.Session.begin() as session:
        session.get(Cadre, world["member_id"]).active = False
    _, text = say(client, "wangganbu", f"详情 {world['number']}")
    assert "没有登记" in text


@pytest.mark.parametrize("case", ["forged", "stale", "garbage", "wrong_token"])
def test_bad_callbacks_are_refused_and_store_nothing(client, runtime, world, case):
    xml = message_xml("wangganbu", f"详情 {world['number']}", new_msg_id())
    if case == "forged":
        response = post(client, xml, forge=True)
    elif case == "stale":
        response = post(client, xml, timestamp=int(time.time()) - 3600)
    elif case == "garbage":
        response = client.post("/wecom?msg_signature=x&timestamp=%d&nonce=1" % time.time(), data=b"<xml>",
                               content_type="text/xml")
    else:
        response = post(client, xml, token="someoneelse")
    assert 400 <= response.status_code < 500
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_off_without_settings(settings_overrides):
    from bot import create_app

    app = create_app({k: v for k, v in settings_overrides.items() if k != "WECOM_TOKEN"})
    try:
        assert app.test_client().get("/wecom?echostr=x").status_code == 404
    finally:
        app.extensions["bot"].engine.dispose()
