"""Build pushes the way WeChat's servers do, with an implementation independent of wechatpy.

Signing and AES come from WeRoBot (``werobot.crypto``, ``werobot.utils``); replies are read back
with the standard library's ElementTree. So the tests never check wechatpy against itself.
"""
import time
import xml.etree.ElementTree as ET
from itertools import count
from urllib.parse import urlencode

from werobot.crypto import MessageCrypt
from werobot.utils import generate_token, get_signature

TOKEN = "testtoken"
APP_ID = "wx1234567890abcdef"
APP_SECRET = "testsecret123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "gh_testaccount"
_msg_ids = count(int(time.time() * 1000))


def new_msg_id() -> str:
    """A fresh MsgId, unique across the test run."""
    return str(next(_msg_ids))


def cdata(text: str) -> str:
    """Split ']]>' across two CDATA sections, as any correct XML writer does."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def push_xml(sender: str, kind: str = "text", when: int | None = None, **fields) -> str:
    """The XML WeChat pushes for a message or event; ``fields`` are extra tags (Content=...)."""
    when = when or int(time.time())
    parts = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
             f"<FromUserName><![CDATA[{sender}]]></FromUserName>",
             f"<CreateTime>{when}</CreateTime>", f"<MsgType><![CDATA[{kind}]]></MsgType>"]
    if kind != "event" and "MsgId" not in fields:
        fields["MsgId"] = new_msg_id()
    for tag, value in fields.items():
        parts.append(f"<{tag}>{value}</{tag}>" if isinstance(value, (int, float)) else f"<{tag}><![CDATA[{cdata(value)}]]></{tag}>")
    return "<xml>" + "".join(parts) + "</xml>"


def signed_query(token: str = TOKEN, timestamp: int | None = None, **extra) -> dict:
    """Query parameters with a valid ``signature`` over token, timestamp and nonce."""
    timestamp = str(timestamp or int(time.time()))
    nonce = generate_token(10)
    return {"signature": get_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def post(client, xml: str, aes: bool = False, token: str = TOKEN, aes_key: str = AES_KEY, **query):
    """POST a push to /wechat as WeChat would, in plaintext or safe (AES) mode."""
    params = signed_query(token, **query)
    body = xml
    if aes:
        crypt = MessageCrypt(token, aes_key, APP_ID)
        encrypted = crypt.encrypt_message(xml, params["timestamp"], params["nonce"])
        root = ET.fromstring(encrypted)
        params.update(encrypt_type="aes", msg_signature=root.findtext("MsgSignature"))
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{root.findtext('Encrypt')}]]></Encrypt></xml>"
    return client.post("/wechat?" + urlencode(params), data=body.encode(), content_type="text/xml")


def reply_text(response, aes: bool = False, token: str = TOKEN) -> str | None:
    """The text of a reply, decrypting it in AES mode; None when the answer is ``success``."""
    body = response.get_data(as_text=True)
    if body == "success":
        return None
    root = ET.fromstring(body)
    if aes:
        crypt = MessageCrypt(token, AES_KEY, APP_ID)
        root = ET.fromstring(crypt.decrypt_message(
            root.findtext("TimeStamp"), root.findtext("Nonce"), root.findtext("MsgSignature"), root.findtext("Encrypt")))
    return root.findtext("Content")


def say(client, sender: str, text: str, aes: bool = False) -> str | None:
    """Send a text message and return the bot's reply text."""
    response = post(client, push_xml(sender, Content=text), aes=aes)
    assert response.status_code == 200, response.get_data(as_text=True)
    return reply_text(response, aes=aes)
