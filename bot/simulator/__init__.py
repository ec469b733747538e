"""The WeChat simulator: phone-sized chat panes that talk to the real ``/wechat`` endpoint.

Served by ``python -m bot demo`` only (``bot/simulator/__main__.py`` registers this blueprint);
the production app never does. Each persona's message is signed and AES-encrypted here exactly
as WeChat's servers do it; pushes come from what the fake WeChat API received.
"""
import logging

import requests
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot.runtime import current_runtime
from bot.simulator import messages
from bot.simulator.personas import personas, wecom_openids
from bot.simulator.phone import Phone, PhoneError, WeComPhone
from bot.simulator.pushes import delivered
from bot.wechat.client import WeChatApi, WeChatApiError
from models import Cadre

log = logging.getLogger(__name__)
bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates",
               static_folder="static", static_url_path="/static")
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a phone photo; the webhook's own limit stays as configured


def _tools() -> dict:
    """The simulator's phone, API client and fake's address, built once per app."""
    tools = current_app.extensions.get("simulator")
    if tools is None:
        settings = current_runtime().settings
        tools = current_app.extensions["simulator"] = {
            "phone": Phone(current_app.config["SIMULATOR_WEBHOOK"], settings.wechat_token,
                           settings.wechat_aes_key, settings.wechat_app_id),
            "api": WeChatApi.from_settings(settings, current_runtime().redis),
            "fake": settings.wechat_api_base_url,
            # Cadres with a WeCom id answer in WeCom, through /wecom, when its callback is configured.
            "wecom": WeComPhone(current_app.config["SIMULATOR_WEBHOOK"].removesuffix("/wechat") + "/wecom",
                                settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id,
                                settings.wecom_agent_id or "1")
            if settings.wecom_token and settings.wecom_aes_key and settings.wecom_corp_id else None,
        }
    return tools


@bp.get("/")
def page():
    """The simulator page."""
    return render_template("simulator.html")


@bp.get("/healthz")
def healthz():
    """Ready check for the demo launcher."""
    return "ok"


@bp.get("/api/personas")
def list_personas():
    """Villages, cadres and residents one can play."""
    with current_runtime().Session() as session:
        return jsonify(personas(session))


@bp.post("/api/send")
def send():
    """Send one message or event as a persona through ``/wechat``; answer with the bot's reply."""
    request.max_content_length = MAX_UPLOAD_BYTES
    data = request.get_json(silent=True) or {}
    openid = str(data.get("openid") or "")
    if not openid.startswith("o_"):
        return jsonify(error="openid required"), 400
    tools = _tools()
    try:
        kind, fields = messages.build(data, lambda png: _upload(tools["api"], png),
                                      lambda amr: _record(tools["fake"], amr))
        _user_activity(tools["fake"], openid)
        userid = _wecom_userid(openid) if tools["wecom"] and kind == "text" else None
        reply = tools["wecom"].send(userid, fields["Content"]) if userid else tools["phone"].send(openid, kind, fields)
    except (messages.BadMessage, PhoneError, WeChatApiError, requests.RequestException) as error:
        log.warning("simulator send failed: %s", error)
        return jsonify(error=str(error)), 502
    return jsonify(reply=reply)


def _upload(api: WeChatApi, image: bytes) -> str:
    """Store a persona's photo on the fake WeChat, as a phone's upload does; return its MediaId."""
    return api.upload_image(image, "photo.jpg")


def _wecom_userid(openid: str) -> str | None:
    """The WeCom id of the cadre playing ``openid``, if the roster gives one."""
    with current_runtime().Session() as session:
        return session.scalar(select(Cadre.wecom_userid).where(Cadre.openid == openid, Cadre.active.is_(True)))


def _record(fake: str, amr: bytes) -> str:
    """Store a persona's voice recording on the fake WeChat, as WeChat keeps it for 3 days; its MediaId."""
    answer = requests.post(fake + "_fake/media", params={"type": "voice"}, data=amr,
                           headers={"Content-Type": "audio/amr"}, timeout=5)
    answer.raise_for_status()
    return answer.json()["media_id"]


def _user_activity(fake: str, openid: str) -> None:
    """Tell the fake the user wrote, so its 48-hour customer-service window opens as WeChat's does."""
    requests.post(fake + "_fake/user_activity", json={"openid": openid}, timeout=5).raise_for_status()


@bp.get("/api/pushes")
def pushes():
    """Messages the bot pushed since ``since`` (the fake's record number), as phones would show them."""
    since = request.args.get("since", default=0, type=int)
    records = requests.get(_tools()["fake"] + "_fake/messages", params={"since": since}, timeout=5).json()
    templates = current_runtime().config.get("notifications", {}).get("templates", {})
    with current_runtime().Session() as session:
        shown = delivered(records, templates, lambda ids: wecom_openids(session, ids))
    last = max((r["seq"] for r in records), default=since)
    return jsonify(last=last, pushes=shown)


@bp.get("/api/media/<media_id>")
def media(media_id: str):
    """An image the bot sent (a chart), fetched from the fake WeChat like a phone downloads it."""
    tools = _tools()
    # WeChatApi offers no download (the bot never needs one); its SDK client holds the shared token.
    client = tools["api"]._official  # noqa: SLF001 - simulator only
    try:
        for _ in range(2):  # a token another process replaced gets one refresh, as the client does
            token = client.access_token
            answer = requests.get(tools["fake"] + "cgi-bin/media/get", params={"access_token": token,
                                                                             "media_id": media_id}, timeout=5)
            if not answer.headers.get("Content-Type", "").startswith("application/json"):
                return Response(answer.content, mimetype=answer.headers.get("Content-Type", "image/png"))
            if answer.json().get("errcode") not in (40001, 42001):
                break
            client.refresh_token(token)
    except (requests.RequestException, WeChatClientException) as error:
        log.warning("simulator media %s failed: %s", media_id, error)
        return jsonify(error="media unavailable"), 502
    return jsonify(error="media not found"), 404
