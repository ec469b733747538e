"""The webhook: handshake, the three modes, every message kind, and refusals of bad input."""
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from models import Case, InboundMessage
from tests import wechat
from tests.wechat import post, push_xml, reply_text, signed_query


def stored(runtime) -> int:
    with runtime.Session() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage))


def test_handshake_echoes_echostr(client):
    response = client.get("/wechat?" + urlencode(signed_query(echostr="hello123")))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "hello123"


def test_handshake_with_wrong_token_is_refused(client):
    response = client.get("/wechat?" + urlencode(signed_query(token="wrongtoken", echostr="x")))
    assert response.status_code == 403
    assert "x" not in response.get_data(as_text=True)


@pytest.mark.parametrize("aes", [False, True], ids=["plaintext", "safe"])
def test_text_gets_a_reply_in_the_same_mode(client, runtime, aes):
    response = post(client, push_xml("o_resident1", Content="帮助"), aes=aes)
    assert response.status_code == 200
    assert "绑定" in reply_text(response, aes=aes)
    assert stored(runtime) == 1


def test_compatible_mode_body_with_plaintext_and_encrypt(client):
    """Compatible mode sends both the plain fields and Encrypt; the encrypted part is the truth."""
    from werobot.crypto import MessageCrypt
    import xml.etree.ElementTree as ET

    inner = push_xml("o_compat", Content="帮助")
    params = signed_query()
    encrypted = ET.fromstring(MessageCrypt(wechat.TOKEN, wechat.AES_KEY, wechat.APP_ID).encrypt_message(
        inner, params["timestamp"], params["nonce"]))
    params.update(encrypt_type="aes", msg_signature=encrypted.findtext("MsgSignature"))
    body = inner.replace("</xml>", f"<Encrypt><![CDATA[{encrypted.findtext('Encrypt')}]]></Encrypt></xml>")
    response = client.post("/wechat?" + urlencode(params), data=body)
    assert response.status_code == 200
    assert "绑定" in reply_text(response, aes=True)


def test_reply_escapes_cdata_terminator(client):
    """An echoed ']]>' must not close the CDATA section and inject XML."""
    import xml.etree.ElementTree as ET

    from handlers.registry import Route

    runtime = client.application.extensions["bot"]
    runtime.registry.routes.insert(0, Route(lambda m: "" if m.text.startswith("echo") else None,
                                            lambda m, s, c: m.text, None, "echo"))
    payload = "echo ]]><MsgType>evil</MsgType><![CDATA["
    response = post(client, push_xml("o_x", Content=payload))
    assert reply_text(response) == payload
    assert [e.text for e in ET.fromstring(response.get_data()).iter("MsgType")] == ["text"]  # nothing injected


KINDS = [
    ("text", {"Content": "帮助"}),
    ("image", {"PicUrl": "http://example.invalid/p.jpg", "MediaId": "m1"}),
    ("voice", {"MediaId": "m2", "Format": "amr", "Recognition": "路灯坏了"}),
    ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}),
    ("location", {"Location_X": 23.1, "Location_Y": 116.2, "Scale": 15, "Label": "新高园村"}),
    ("link", {"Title": "通知", "Description": "d", "Url": "http://example.invalid/"}),
]
EVENTS = [
    {"Event": "subscribe"},
    {"Event": "subscribe", "EventKey": "qrscene_village_1", "Ticket": "t"},
    {"Event": "SCAN", "EventKey": "village_1", "Ticket": "t"},
    {"Event": "CLICK", "EventKey": "MENU_HELP"},
    {"Event": "LOCATION", "Latitude": 23.1, "Longitude": 116.2, "Precision": 10},
]


@pytest.fixture
def seen(runtime):
    """Record every Message the registry dispatches."""
    messages = []
    original = runtime.registry.dispatch

    def spy(message, sender, context):
        messages.append(message)
        return original(message, sender, context)

    runtime.registry.dispatch = spy
    return messages


@pytest.mark.parametrize("kind,fields", KINDS, ids=[k for k, _ in KINDS])
def test_every_message_kind_reaches_the_registry(client, seen, kind, fields):
    response = post(client, push_xml("o_kind", kind, **fields))
    assert response.status_code == 200
    assert seen[0].kind == kind
    if kind == "voice":
        assert seen[0].text == "路灯坏了" and seen[0].media_id == "m2"
    if kind == "location":
        assert (seen[0].latitude, seen[0].longitude, seen[0].label) == (23.1, 116.2, "新高园村")


@pytest.mark.parametrize("fields", EVENTS, ids=lambda f: f["Event"] + ("_scene" if "qrscene" in f.get("EventKey", "") else ""))
def test_every_event_reaches_the_registry(client, seen, fields):
    response = post(client, push_xml("o_event", "event", **fields))
    assert response.status_code == 200
    event = seen[0]
    assert event.kind == "event"
    if fields.get("EventKey", "").startswith("qrscene_"):
        assert (event.event, event.event_key) == ("subscribe_scan", "village_1")
    elif fields["Event"] == "SCAN":
        assert (event.event, event.event_key) == ("scan", "village_1")
    elif fields["Event"] == "CLICK":
        assert event.event_key == "MENU_HELP"


def test_unknown_kind_gets_an_answer_not_an_error(client, runtime):
    response = post(client, push_xml("o_unknown", "hologram", Payload="x"))
    assert response.status_code == 200
    assert reply_text(response) == runtime.config["texts"]["unknown_kind"]


BAD = {
    "malformed": "<xml><ToUserName>a</ToUser",
    "xxe": '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           "<xml><ToUserName>a</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
           "<MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>",
    "billion_laughs": '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                      '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>',
    "repeated_tags": "<xml><ToUserName>a</ToUserName><FromUserName>o1</FromUserName><FromUserName>o2</FromUserName>"
                     "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>9</MsgId></xml>",
    "repeated_msgtype": "<xml><ToUserName>a</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
                        "<MsgType>text</MsgType><MsgType>image</MsgType><MsgId>9</MsgId></xml>",
    "no_sender": "<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
    "not_xml": "hello there",
    "empty": "",
}


@pytest.mark.parametrize("name", BAD)
def test_bad_bodies_are_400_and_store_nothing(client, runtime, name):
    response = post(client, BAD[name])
    assert response.status_code == 400, name
    assert "Traceback" not in response.get_data(as_text=True)
    assert stored(runtime) == 0


def test_wrong_signature_is_403(client, runtime):
    response = post(client, push_xml("o1", Content="帮助"), token="someoneelse")
    assert response.status_code == 403
    assert stored(runtime) == 0


def test_stale_timestamp_is_refused(client, runtime):
    response = post(client, push_xml("o1", Content="帮助"), timestamp=int(time.time()) - 301)
    assert response.status_code == 403
    assert stored(runtime) == 0


def test_wrong_aes_key_is_refused(client, runtime):
    response = post(client, push_xml("o1", Content="帮助"), aes=True, aes_key="Z" * 43)
    assert response.status_code in (400, 403)
    assert stored(runtime) == 0


def test_forged_msg_signature_is_403(client, runtime):
    import xml.etree.ElementTree as ET
    from werobot.crypto import MessageCrypt

    params = signed_query()
    root = ET.fromstring(MessageCrypt(wechat.TOKEN, wechat.AES_KEY, wechat.APP_ID).encrypt_message(
        push_xml("o1", Content="x"), params["timestamp"], params["nonce"]))
    params.update(encrypt_type="aes", msg_signature="0" * 40)
    response = client.post("/wechat?" + urlencode(params),
                           data=f"<xml><Encrypt><![CDATA[{root.findtext('Encrypt')}]]></Encrypt></xml>")
    assert response.status_code == 403
    assert stored(runtime) == 0


def test_one_megabyte_body_is_413(client, runtime):
    response = post(client, push_xml("o1", Content="长" * 350_000))
    assert response.status_code == 413
    assert stored(runtime) == 0


def test_retries_are_stored_once_with_the_same_reply(client, runtime):
    xml = push_xml("o_retry", Content="帮助")
    replies = [reply_text(post(client, xml)) for _ in range(3)]
    assert replies[0] and replies == [replies[0]] * 3
    assert stored(runtime) == 1


def test_retries_are_refused_by_the_database_when_redis_is_down(client, runtime):
    from bot.runtime import redis_client

    runtime.dedupe.redis = redis_client("redis://127.0.0.1:1/0")  # nothing listens there
    xml = push_xml("o_retry", Content="帮助")
    replies = [reply_text(post(client, xml)) for _ in range(3)]
    assert replies[0] and replies == [replies[0]] * 3
    assert stored(runtime) == 1


def test_events_are_deduplicated_by_sender_time_and_type(client, runtime):
    when = int(time.time())
    xml = push_xml("o_evt", "event", when=when, Event="subscribe")
    for _ in range(3):
        assert post(client, xml).status_code == 200
    assert stored(runtime) == 1
    assert post(client, push_xml("o_evt", "event", when=when, Event="unsubscribe")).status_code == 200
    assert stored(runtime) == 2


def test_a_handler_may_pass_a_message_on_to_later_routes(runtime):
    from handlers.message import Message, Sender
    from handlers.registry import PASS, Context, Registry

    registry = Registry()
    registry.kind("text")(lambda m, s, c: PASS)
    registry.kind("text")(lambda m, s, c: "second")
    context = Context(None, runtime.config, datetime.now(timezone.utc))
    assert registry.dispatch(Message("o", "text", context.now, text="x"), Sender("o"), context) == "second"


def test_a_message_is_handled_at_the_runtime_clocks_time(client, runtime, roster):
    handled_at = datetime(2030, 3, 5, 2, 0, tzinfo=timezone.utc)
    runtime.clock = lambda: handled_at  # the one clock every default "now" comes from
    assert "案件编号" in wechat.say(client, "o_ah", "村口的路坏了好几个大坑，车过不去，请尽快修一下")
    with runtime.Session() as session:
        assert session.scalars(select(Case.received_at)).all() == [handled_at]
