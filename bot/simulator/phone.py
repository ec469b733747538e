"""The WeChat side of a chat: build a push as WeChat's servers do, sign and encrypt it, read the reply.

The simulator posts through the real ``/wechat`` endpoint over HTTP, in safe (AES) mode, so
every message takes exactly the path a real one takes.
"""
import hashlib
import secrets
import time
import xml.etree.ElementTree as ET
from itertools import count
from xml.sax.saxutils import escape

import requests
from wechatpy.crypto import WeChatCrypto

ACCOUNT = "gh_d0d0d0d0demo"  # the official account's original id, as WeChat names it in pushes
_msg_ids = count(int(time.time() * 1000))


class PhoneError(Exception):
    """The webhook refused a push or answered something WeChat would not accept."""


def _tag(name: str, value) -> str:
    """One XML element, numbers bare and text in CDATA (split around ']]>' like any XML writer)."""
    if isinstance(value, (int, float)):
        return f"<{name}>{value}</{name}>"
    return f"<{name}><![CDATA[{str(value).replace(']]>', ']]]]><![CDATA[>')}]]></{name}>"


def push_xml(openid: str, kind: str, fields: dict, now: int | None = None) -> str:
    """The XML of one message or event from ``openid``; ``fields`` are its own tags (Content=...)."""
    head = {"ToUserName": ACCOUNT, "FromUserName": openid, "CreateTime": now or int(time.time()), "MsgType": kind}
    if kind != "event":
        fields = {**fields, "MsgId": next(_msg_ids)}
    return "<xml>" + "".join(_tag(name, value) for name, value in {**head, **fields}.items()) + "</xml>"


class Phone:
    """Sends pushes to one webhook as one official account's WeChat server would."""

    def __init__(self, webhook: str, token: str, aes_key: str, app_id: str, timeout: float = 10) -> None:
        self.webhook = webhook
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id)
        self.timeout = timeout

    def send(self, openid: str, kind: str, fields: dict) -> str | None:
        """Deliver one push and return the text of the reply (None when the bot answered ``success``)."""
        xml = push_xml(openid, kind, fields)
        nonce, timestamp = secrets.token_hex(5), str(int(time.time()))
        sealed = ET.fromstring(self.crypto.encrypt_message(xml, nonce, timestamp))
        body = f"<xml>{_tag('ToUserName', ACCOUNT)}{_tag('Encrypt', sealed.findtext('Encrypt'))}</xml>"
        params = {"signature": _signature(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": openid, "encrypt_type": "aes", "msg_signature": sealed.findtext("MsgSignature")}
        answer = requests.post(self.webhook, params=params, data=body.encode(), timeout=self.timeout,
                               headers={"Content-Type": "text/xml"})
        if answer.status_code != 200:
            raise PhoneError(f"HTTP {answer.status_code}: {escape(answer.text[:200])}")
        return self.read_reply(answer.text)

    def read_reply(self, body: str) -> str | None:
        """Check and decrypt a passive reply and return its text, as WeChat does before showing it."""
        if body.strip() in ("", "success"):
            return None
        outer = ET.fromstring(body)
        inner = ET.fromstring(self.crypto.decrypt_message(
            body, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")))
        if inner.findtext("MsgType") != "text":
            raise PhoneError(f"unexpected reply type {inner.findtext('MsgType')}")
        return inner.findtext("Content")


class WeComPhone:
    """Sends a cadre's WeCom app messages to ``/wecom`` as WeCom's servers do (always encrypted)."""

    def __init__(self, webhook: str, token: str, aes_key: str, corp_id: str, agent_id: str, timeout: float = 10):
        from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

        self.webhook = webhook
        self.crypto = WeComCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.timeout = timeout

    def send(self, userid: str, text: str) -> str | None:
        """Deliver one text message from ``userid`` and return the reply's text."""
        head = {"ToUserName": self.corp_id, "FromUserName": userid, "CreateTime": int(time.time()),
                "MsgType": "text", "Content": text, "MsgId": next(_msg_ids), "AgentID": int(self.agent_id)}
        xml = "<xml>" + "".join(_tag(name, value) for name, value in head.items()) + "</xml>"
        nonce, timestamp = secrets.token_hex(5), str(int(time.time()))
        sealed = ET.fromstring(self.crypto.encrypt_message(xml, nonce, timestamp))
        body = (f"<xml>{_tag('ToUserName', self.corp_id)}{_tag('Encrypt', sealed.findtext('Encrypt'))}"
                f"{_tag('AgentID', self.agent_id)}</xml>")
        params = {"msg_signature": sealed.findtext("MsgSignature"), "timestamp": timestamp, "nonce": nonce}
        answer = requests.post(self.webhook, params=params, data=body.encode(), timeout=self.timeout,
                               headers={"Content-Type": "text/xml"})
        if answer.status_code != 200:
            raise PhoneError(f"HTTP {answer.status_code}: {escape(answer.text[:200])}")
        if answer.text.strip() in ("", "success"):
            return None
        outer = ET.fromstring(answer.text)
        inner = ET.fromstring(self.crypto.decrypt_message(
            answer.text, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")))
        return inner.findtext("Content")


def _signature(token: str, timestamp: str, nonce: str) -> str:
    """The ``signature`` query argument: SHA-1 over the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
