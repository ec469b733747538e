"""The webhook WeChat calls: ``GET /wechat`` for the handshake, ``POST /wechat`` for messages."""
import logging

from flask import Blueprint, Response, request

from bot.inbox.receive import receive
from bot.runtime import current_runtime
from bot.wechat.protocol import Rejected

log = logging.getLogger(__name__)
bp = Blueprint("gateway", __name__)


def _refuse(error: Rejected) -> Response:
    log.warning("refused %s %s from %s: %s", request.method, request.path, request.remote_addr, error.reason)
    return Response(error.reason, status=error.status, mimetype="text/plain")


@bp.get("/wechat")
def handshake():
    """Echo ``echostr`` when the signature is WeChat's."""
    try:
        return Response(current_runtime().protocol.handshake(request.args), mimetype="text/plain")
    except Rejected as error:
        return _refuse(error)


@bp.post("/wechat")
def incoming():
    """Verify, parse, de-duplicate and answer one pushed message."""
    runtime = current_runtime()
    if (request.content_length or 0) > runtime.config["wechat"]["max_body_bytes"]:
        return _refuse(Rejected(413, "body too large"))
    try:
        envelope = runtime.protocol.read(request.args, request.get_data(cache=False))
    except Rejected as error:
        return _refuse(error)
    reply = receive(runtime, envelope.message)
    body = runtime.protocol.render(envelope, reply, request.args.get("nonce", ""))
    return Response(body, mimetype="application/xml" if body != "success" else "text/plain")
