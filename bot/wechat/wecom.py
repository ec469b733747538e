"""WeCom's callback: cadres answer pushes inside WeCom, and ``/wecom`` runs their commands.

WeCom signs every callback (``msg_signature`` over token, timestamp, nonce and the ciphertext) and
always encrypts (AES, the corp id as receive id); wechatpy's ``enterprise`` crypto does both. The
message then goes through the same inbox as ``/wechat`` (de-duplication, one transaction), sent by
``wecom:<userid>``, which ``handlers.identity`` maps to the cadre the roster binds to that id.
"""
import logging
import time
from dataclasses import replace

from flask import Blueprint, Response, current_app, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply

from bot.inbox.receive import receive
from bot.wechat.protocol import PARSE_ERRORS, Envelope, Rejected, to_message
from handlers.identity import WECOM_PREFIX, wecom_cadre

log = logging.getLogger(__name__)
bp = Blueprint("wecom", __name__)


class WeComProtocol:
    """Verifies, decrypts and parses WeCom callbacks for one corp's app, and encrypts replies."""

    def __init__(self, token: str, aes_key: str, corp_id: str, tolerance: int) -> None:
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.corp_id = corp_id
        self.tolerance = tolerance

    def handshake(self, args) -> str:
        """Check the URL verification and return the decrypted ``echostr`` WeCom expects back."""
        try:
            return self.crypto.check_signature(args.get("msg_signature", ""), args.get("timestamp", ""),
                                               args.get("nonce", ""), args.get("echostr", ""))
        except InvalidSignatureException:
            raise Rejected(403, "bad msg_signature") from None
        except InvalidCorpIdException:
            raise Rejected(400, "echostr is for another corp") from None
        except Exception as exc:  # the cipher layer raises assorted errors on a garbled echostr
            raise Rejected(400, f"cannot decrypt echostr ({exc.__class__.__name__})") from None

    def read(self, args, body: bytes, now: float | None = None) -> Envelope:
        """Verify, decrypt and parse a callback; its sender becomes ``wecom:<userid>``."""
        timestamp = args.get("timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - (now or time.time())) > self.tolerance:
            raise Rejected(403, "stale or missing timestamp")
        if not body.strip():
            raise Rejected(400, "empty body")
        if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
            raise Rejected(400, "DTD not allowed")
        try:
            xml = self.crypto.decrypt_message(body, args.get("msg_signature", ""), timestamp, args.get("nonce", ""))
        except InvalidSignatureException:
            raise Rejected(403, "bad msg_signature") from None
        except InvalidCorpIdException:
            raise Rejected(400, "message is for another corp") from None
        except Exception as exc:
            raise Rejected(400, f"cannot decrypt ({exc.__class__.__name__})") from None
        try:
            message = to_message(parse_message(xml))
        except PARSE_ERRORS as exc:
            raise Rejected(400, f"malformed message ({exc.__class__.__name__})") from None
        # WeCom's MsgIds are their own number space: prefixed so they never meet an official-account id.
        message = replace(message, sender=WECOM_PREFIX + message.sender,
                          msg_id=f"wecom-{message.msg_id}" if message.msg_id else "")
        return Envelope(message, self.corp_id, True)

    def render(self, envelope: Envelope, reply: str | None, nonce: str) -> str:
        """The encrypted passive reply (or ``success``)."""
        if not reply:
            return "success"
        safe = reply.replace("]]>", "]]]]><![CDATA[>")
        userid = envelope.message.sender.removeprefix(WECOM_PREFIX)
        xml = TextReply(source=self.corp_id, target=userid, content=safe).render()
        return self.crypto.encrypt_message(xml, nonce)


def wecom_protocol(runtime) -> WeComProtocol | None:
    """The process's WeCom protocol, or None when the callback is not configured."""
    settings = runtime.settings
    if not (settings.wecom_corp_id and settings.wecom_token and settings.wecom_aes_key):
        return None
    if runtime.wecom_protocol is None:  # built on first use
        runtime.wecom_protocol = WeComProtocol(
            settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id,
            runtime.config["wechat"]["timestamp_tolerance_seconds"])
    return runtime.wecom_protocol


def _refuse(error: Rejected) -> Response:
    log.warning("refused %s %s from %s: %s", request.method, request.path, request.remote_addr, error.reason)
    return Response(error.reason, status=error.status, mimetype="text/plain")


def _configured():
    runtime = current_app.extensions["bot"]
    return runtime, wecom_protocol(runtime)


@bp.get("/wecom")
def handshake():
    """WeCom's URL verification: answer the decrypted ``echostr``."""
    _, protocol = _configured()
    if protocol is None:
        return _refuse(Rejected(404, "WeCom callback is not configured"))
    try:
        return Response(protocol.handshake(request.args), mimetype="text/plain")
    except Rejected as error:
        return _refuse(error)


@bp.post("/wecom")
def incoming():
    """Run a cadre's WeCom message through the inbox, exactly as ``/wechat`` would."""
    runtime, protocol = _configured()
    if protocol is None:
        return _refuse(Rejected(404, "WeCom callback is not configured"))
    if (request.content_length or 0) > runtime.config["wechat"]["max_body_bytes"]:
        return _refuse(Rejected(413, "body too large"))
    try:
        envelope = protocol.read(request.args, request.get_data(cache=False))
    except Rejected as error:
        return _refuse(error)
    with runtime.Session() as session:
        known = wecom_cadre(session, envelope.message.sender, runtime.facts) is not None
    # Someone in the corp who is not on the roster: told so, and nothing is stored or run.
    reply = receive(runtime, envelope.message) if known else runtime.config["texts"]["wecom_unknown_user"]
    body = protocol.render(envelope, reply, request.args.get("nonce", ""))
    return Response(body, mimetype="application/xml" if body != "success" else "text/plain")
