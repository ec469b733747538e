"""A local fake of WeChat's HTTP API (official account and WeCom) for tests and the demo.

WeChat's servers cannot be reached from here, so the outbound client is pointed at this app.
It issues tokens, accepts the calls the project makes, records every request it receives, and
can be told to fail or stall the way WeChat does. Control endpoints live under ``/_fake/``.
"""
import argparse
import itertools
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

log = logging.getLogger(__name__)

OFFICIAL = "official"
WECOM = "wecom"
CS_WINDOW_SECONDS = 48 * 3600
CS_LIMIT = 5
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MEDIA_TYPES = {"image", "voice", "video", "thumb"}

# WeChat's own wording, so logs and errors read as they would in production.
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    81013: "user & party & tag all invalid",
}


def _error(errcode: int) -> dict:
    """A WeChat-style error body."""
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "fake error")}


@dataclass
class _Rule:
    """One scripted behaviour (a failure or a delay) for the next ``times`` matching calls."""

    times: int
    path: str | None
    errcode: int = 0
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


def _normalise_path(path: str | None) -> str | None:
    """Accept ``/cgi-bin/x``, ``cgi-bin/x`` or ``x`` for an endpoint filter."""
    if not path:
        return None
    path = path.lstrip("/")
    if not path.startswith("cgi-bin/"):
        path = "cgi-bin/" + path
    return "/" + path


class FakeWeChatState:
    """Everything the fake remembers: tokens, records, scripted failures, user activity."""

    def __init__(self, *, token_ttl: int = 7200, apps: dict | None = None, wecom_apps: dict | None = None,
                 wecom_users=None, enforce_customer_service: bool = False,
                 cs_window_seconds: int = CS_WINDOW_SECONDS, cs_limit: int = CS_LIMIT, clock=time.time):
        self._lock = threading.Lock()
        self._clock = clock
        self._seq = itertools.count(1)  # kept across resets so ``since`` stays meaningful
        self._options = dict(token_ttl=token_ttl, apps=apps, wecom_apps=wecom_apps,
                             wecom_users=None if wecom_users is None else set(wecom_users),
                             enforce_customer_service=enforce_customer_service,
                             cs_window_seconds=cs_window_seconds, cs_limit=cs_limit, now=None)
        self._initial_options = dict(self._options)
        self._clear()

    def _clear(self) -> None:
        self._records: list[dict] = []
        self._failures: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._tokens: dict[str, tuple[str, str, float]] = {}  # token -> (kind, owner, expires_at)
        self._current: dict[tuple[str, str], str] = {}  # (kind, owner) -> the only valid token
        self._last_inbound: dict[str, float] = {}
        self._cs_sent: dict[str, int] = {}
        self._media: dict[str, tuple[str, bytes]] = {}
        self._videos: set[str] = set()  # media/get answers these with a video_url, as WeChat does
        self._msgids = itertools.count(1000001)

    # -- configuration and scenario control ---------------------------------------------

    def now(self) -> float:
        """The fake's clock: real time unless a fixed ``now`` was configured."""
        with self._lock:
            return self._now_unlocked()

    def _now_unlocked(self) -> float:
        fixed = self._options["now"]
        return fixed if fixed is not None else self._clock()

    def configure(self, **options) -> None:
        """Change options (the constructor's keywords, plus ``now`` to fix the clock)."""
        with self._lock:
            unknown = set(options) - set(self._options)
            if unknown:
                raise ValueError(f"unknown fake option(s): {', '.join(sorted(unknown))}")
            if options.get("wecom_users") is not None:
                options["wecom_users"] = set(options["wecom_users"])
            self._options.update(options)

    def reset(self) -> None:
        """Forget records, tokens, scripts and activity, and restore the initial options."""
        with self._lock:
            self._options = dict(self._initial_options)
            self._clear()

    def fail(self, errcode: int, times: int = 1, path: str | None = None) -> None:
        """Fail the next ``times`` calls (to ``path`` if given) with ``errcode``; 500-599 is HTTP."""
        with self._lock:
            self._failures.append(_Rule(times=times, path=_normalise_path(path), errcode=int(errcode)))

    def slow(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        """Delay the next ``times`` calls (to ``path`` if given) by ``seconds``."""
        with self._lock:
            self._delays.append(_Rule(times=times, path=_normalise_path(path), seconds=float(seconds)))

    def user_activity(self, openid: str, at: float | None = None) -> None:
        """Note that a user messaged the account: opens a new customer-service window."""
        at = self.now() if at is None else float(at)
        with self._lock:
            if at >= self._last_inbound.get(openid, float("-inf")):
                self._last_inbound[openid] = at
                self._cs_sent[openid] = 0

    def _take(self, rules: list[_Rule], path: str) -> _Rule | None:
        for rule in rules:
            if rule.matches(path):
                rule.times -= 1
                if rule.times <= 0:
                    rules.remove(rule)
                return rule
        return None

    def take_delay(self, path: str) -> float:
        with self._lock:
            rule = self._take(self._delays, path)
        return rule.seconds if rule else 0.0

    def take_failure(self, path: str) -> int | None:
        with self._lock:
            rule = self._take(self._failures, path)
        return rule.errcode if rule else None

    # -- records ---------------------------------------------------------------------------

    def begin(self, method: str, path: str, query: dict, body, to: str | None) -> dict:
        """Record a request as it arrives, so the order is the order of receipt."""
        with self._lock:
            record = {"seq": next(self._seq), "at": self._now_unlocked(),
                      "method": method, "path": path, "query": query, "body": body, "to": to,
                      "status": None, "errcode": None, "response": None}
            self._records.append(record)
            return record

    def finish(self, record: dict, status: int, response) -> None:
        with self._lock:
            record["status"] = status
            record["response"] = response
            record["errcode"] = response.get("errcode", 0) if isinstance(response, dict) else None

    def messages(self, since: int | None = None, to: str | None = None, path: str | None = None) -> list[dict]:
        """Copies of the records, oldest first, optionally after ``since`` / to one user / one path."""
        path = _normalise_path(path)
        with self._lock:
            return [json.loads(json.dumps(r)) for r in self._records
                    if (since is None or r["seq"] > since) and (to is None or r["to"] == to)
                    and (path is None or r["path"] == path)]

    # -- tokens ----------------------------------------------------------------------------

    def issue_token(self, kind: str, owner: str, secret: str) -> dict:
        """Check credentials and issue a new token; the previous one for ``owner`` stops working."""
        with self._lock:
            apps = self._options["apps" if kind == OFFICIAL else "wecom_apps"]
            if apps is not None:
                if owner not in apps:
                    return _error(40013)
                if apps[owner] != secret:
                    return _error(40125 if kind == OFFICIAL else 40001)
            ttl = self._options["token_ttl"]
            now = self._now_unlocked()
            token = f"FAKE_{kind.upper()}_{secrets.token_urlsafe(32)}"
            self._tokens[token] = (kind, owner, now + ttl)
            self._current[(kind, owner)] = token
            return {"access_token": token, "expires_in": ttl} | ({"errcode": 0, "errmsg": "ok"} if kind == WECOM else {})

    def check_token(self, token: str | None, kinds: tuple[str, ...]) -> int:
        """0 when ``token`` is the current, unexpired token of an allowed kind, else WeChat's errcode."""
        if not token:
            return 41001
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or entry[0] not in kinds or self._current.get(entry[:2]) != token:
                return 40001
            now = self._now_unlocked()
            return 42001 if now >= entry[2] else 0

    # -- the domain rules the fake enforces -----------------------------------------------------

    def customer_service_check(self, openid: str) -> int:
        """Apply the 48-hour window and the per-window message limit when enforcement is on."""
        with self._lock:
            if not self._options["enforce_customer_service"]:
                return 0
            last = self._last_inbound.get(openid)
            now = self._now_unlocked()
            if last is None or now - last > self._options["cs_window_seconds"]:
                return 45015
            if self._cs_sent.get(openid, 0) >= self._options["cs_limit"]:
                return 45047
            self._cs_sent[openid] = self._cs_sent.get(openid, 0) + 1
            return 0

    def wecom_user_known(self, userid: str) -> bool:
        """Known WeCom users: the configured set, or else anyone whose id does not start with 'invalid'."""
        with self._lock:
            users = self._options["wecom_users"]
        return userid in users if users is not None else not userid.startswith("invalid")

    def next_msgid(self) -> int:
        with self._lock:
            return next(self._msgids)

    def store_media(self, media_type: str, content_type: str, data: bytes) -> str:
        media_id = "FAKE_MEDIA_" + secrets.token_urlsafe(24)
        with self._lock:
            self._media[media_id] = (content_type, data)
            if media_type in ("video", "shortvideo"):
                self._videos.add(media_id)
        return media_id

    def is_video(self, media_id: str) -> bool:
        with self._lock:
            return media_id in self._videos

    def get_media(self, media_id: str) -> tuple[str, bytes] | None:
        with self._lock:
            return self._media.get(media_id)


# -- the Flask app --------------------------------------------------------------------------------

def _redacted(args) -> dict:
    """Query arguments as recorded: secrets are never written into the records."""
    return {k: ("***" if k in ("secret", "corpsecret") else v) for k, v in args.items()}


def _read_body():
    """The request body as JSON, a multipart summary, or None; raises ValueError on bad JSON."""
    if request.files:
        return {"form": request.form.to_dict(),
                "files": {name: {"filename": f.filename, "content_type": f.mimetype}
                          for name, f in request.files.items()}}
    raw = request.get_data()
    if not raw:
        return None
    return json.loads(raw.decode("utf-8"))


def create_fake_app(state: FakeWeChatState | None = None) -> Flask:
    """Build the fake's Flask app around ``state`` (a fresh one when omitted)."""
    state = state or FakeWeChatState()
    app = Flask(__name__)
    app.extensions["fakewechat"] = state

    def endpoint(path: str, methods: list[str], kinds: tuple[str, ...] | None):
        """Register a WeChat endpoint: record it, apply scripts, check the token, then handle."""
        def register(handler):
            def view():
                try:
                    body, bad_json = _read_body(), False
                except (ValueError, UnicodeDecodeError):
                    body, bad_json = None, True
                to = body.get("touser") if isinstance(body, dict) else None
                record = state.begin(request.method, path, _redacted(request.args), body, to)
                delay = state.take_delay(path)
                if delay:
                    time.sleep(delay)
                errcode = state.take_failure(path)
                if errcode is not None and 500 <= errcode <= 599:
                    state.finish(record, errcode, "fake upstream error")
                    return Response("fake upstream error", status=errcode, mimetype="text/plain")
                if errcode is not None:
                    answer = _error(errcode)
                elif kinds and (token_error := state.check_token(request.args.get("access_token"), kinds)):
                    answer = _error(token_error)
                elif bad_json:
                    answer = _error(47001)
                else:
                    answer = handler(body if isinstance(body, dict) else {})
                state.finish(record, 200, answer if isinstance(answer, dict) else "<binary>")
                return answer if isinstance(answer, Response) else jsonify(answer)
            app.add_url_rule(path, endpoint=path, view_func=view, methods=methods)
            return handler
        return register

    @endpoint("/cgi-bin/token", ["GET"], None)
    def token(_body):
        args = request.args
        if args.get("grant_type") != "client_credential":
            return _error(40002)
        if not args.get("appid"):
            return _error(41002)
        if not args.get("secret"):
            return _error(41004)
        return state.issue_token(OFFICIAL, args["appid"], args["secret"])

    @endpoint("/cgi-bin/gettoken", ["GET"], None)
    def gettoken(_body):
        args = request.args
        if not args.get("corpid"):
            return _error(41002)
        if not args.get("corpsecret"):
            return _error(41004)
        return state.issue_token(WECOM, args["corpid"], args["corpsecret"])

    @endpoint("/cgi-bin/message/custom/send", ["POST"], (OFFICIAL,))
    def custom_send(body):
        if not body.get("touser"):
            return _error(40003)
        msgtype = body.get("msgtype")
        if not msgtype or not isinstance(body.get(msgtype), dict):
            return _error(47001)
        errcode = state.customer_service_check(body["touser"])
        return _error(errcode) if errcode else {"errcode": 0, "errmsg": "ok"}

    @endpoint("/cgi-bin/message/template/send", ["POST"], (OFFICIAL,))
    def template_send(body):
        if not body.get("touser"):
            return _error(40003)
        if not body.get("template_id"):
            return _error(40037)
        if not isinstance(body.get("data"), dict):
            return _error(47001)
        return {"errcode": 0, "errmsg": "ok", "msgid": state.next_msgid()}

    @endpoint("/cgi-bin/message/send", ["POST"], (WECOM,))
    def wecom_send(body):
        if not body.get("agentid") or not body.get("msgtype"):
            return _error(47001)
        users = [u for u in str(body.get("touser") or "").split("|") if u]
        invalid = [u for u in users if not state.wecom_user_known(u)]
        # WeCom answers errcode 0 and names the unknown recipients under ``invaliduser``.
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid),
                "msgid": f"fake-wecom-{state.next_msgid()}"}

    @endpoint("/cgi-bin/qrcode/create", ["POST"], (OFFICIAL,))
    def qrcode_create(body):
        action = body.get("action_name")
        scene = (body.get("action_info") or {}).get("scene") or {}
        if action in ("QR_LIMIT_STR_SCENE", "QR_STR_SCENE"):
            if not isinstance(scene.get("scene_str"), str) or not 1 <= len(scene["scene_str"]) <= 64:
                return _error(47001)
        elif action in ("QR_LIMIT_SCENE", "QR_SCENE"):
            if not isinstance(scene.get("scene_id"), int):
                return _error(47001)
        else:
            return _error(47001)
        ticket = "gQ" + secrets.token_urlsafe(30)
        answer = {"ticket": ticket, "url": "http://weixin.qq.com/q/" + secrets.token_urlsafe(16)}
        if "LIMIT" not in action:
            answer["expire_seconds"] = int(body.get("expire_seconds") or 60)
        return answer

    @endpoint("/cgi-bin/media/upload", ["POST"], (OFFICIAL, WECOM))
    def media_upload(_body):
        media_type = request.args.get("type")
        if media_type not in MEDIA_TYPES:
            return _error(40004)
        upload = request.files.get("media")
        if upload is None:
            return _error(41005)
        data = upload.read()
        if not data:
            return _error(41005)
        if media_type == "image" and len(data) > MAX_IMAGE_BYTES:
            return _error(40009)
        media_id = state.store_media(media_type, upload.mimetype or "application/octet-stream", data)
        return {"type": media_type, "media_id": media_id, "created_at": int(state.now())}

    @endpoint("/cgi-bin/media/get", ["GET"], (OFFICIAL, WECOM))
    def media_get(_body):
        media_id = request.args.get("media_id", "")
        stored = state.get_media(media_id)
        if stored is None:
            return _error(40007)
        if state.is_video(media_id):  # WeChat gives a video as a link to download, not the bytes
            return {"video_url": f"{request.host_url}_fake/video/{media_id}"}
        return Response(stored[1], mimetype=stored[0])

    @endpoint("/cgi-bin/menu/create", ["POST"], (OFFICIAL,))
    def menu_create(body):
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return _error(40016)
        return {"errcode": 0, "errmsg": "ok"}

    # -- control endpoints ---------------------------------------------------------------------

    def _json() -> dict:
        data = request.get_json(silent=True, force=True)
        return data if isinstance(data, dict) else {}

    @app.get("/_fake/messages")
    def fake_messages():
        since = request.args.get("since", type=int)
        return jsonify(state.messages(since=since, to=request.args.get("to"), path=request.args.get("path")))

    @app.post("/_fake/reset")
    def fake_reset():
        state.reset()
        return jsonify(ok=True)

    @app.post("/_fake/fail")
    def fake_fail():
        data = _json()
        if not isinstance(data.get("errcode"), int):
            return jsonify(error="errcode (int) required"), 400
        state.fail(data["errcode"], int(data.get("times", 1)), data.get("path"))
        return jsonify(ok=True)

    @app.post("/_fake/slow")
    def fake_slow():
        data = _json()
        if not isinstance(data.get("seconds"), (int, float)):
            return jsonify(error="seconds (number) required"), 400
        state.slow(data["seconds"], int(data.get("times", 1)), data.get("path"))
        return jsonify(ok=True)

    @app.post("/_fake/user_activity")
    def fake_user_activity():
        data = _json()
        if not data.get("openid"):
            return jsonify(error="openid required"), 400
        state.user_activity(data["openid"], data.get("at"))
        return jsonify(ok=True)

    @app.get("/_fake/video/<media_id>")
    def fake_video(media_id):
        """A video's bytes, where media/get's ``video_url`` points (WeChat's CDN, no token)."""
        stored = state.get_media(media_id) if state.is_video(media_id) else None
        return Response(stored[1], mimetype=stored[0]) if stored else (jsonify(error="no such video"), 404)

    @app.post("/_fake/media")
    def fake_media():
        """Store a file as if a user had sent it (a photo, a voice message): returns its media_id."""
        data = request.get_data()
        if not data:
            return jsonify(error="file bytes required"), 400
        kind = request.args.get("type", "image")
        return jsonify(media_id=state.store_media(kind, request.mimetype or "application/octet-stream", data))

    @app.post("/_fake/config")
    def fake_config():
        try:
            state.configure(**_json())
        except ValueError as error:
            return jsonify(error=str(error)), 400
        return jsonify(ok=True)

    return app


class _QuietRequestHandler(WSGIRequestHandler):
    """Access lines at DEBUG: benchmarks send thousands of requests and the records keep them anyway."""

    def log_request(self, code="-", size="-") -> None:
        log.debug("%s %s", self.requestline, code)


class FakeWeChatServer:
    """Runs the fake on 127.0.0.1 and a free port in a daemon thread; usable as a context manager."""

    def __init__(self, state: FakeWeChatState | None = None, host: str = "127.0.0.1", port: int = 0, **options):
        self.state = state or FakeWeChatState(**options)
        self._server = make_server(host, port, create_fake_app(self.state), threaded=True,
                                   request_handler=_QuietRequestHandler)
        self.url = f"http://{host}:{self._server.server_port}/"
        # A short poll interval makes stop() quick; tests start and stop many servers.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakewechat", daemon=True)
        self._thread.start()
        self._stopped = False

    def __enter__(self) -> "FakeWeChatServer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def messages(self, since: int | None = None, to: str | None = None, path: str | None = None) -> list[dict]:
        return self.state.messages(since=since, to=to, path=path)

    def fail(self, errcode: int, times: int = 1, path: str | None = None) -> None:
        self.state.fail(errcode, times, path)

    def slow(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        self.state.slow(seconds, times, path)

    def user_activity(self, openid: str, at: float | None = None) -> None:
        self.state.user_activity(openid, at)

    def configure(self, **options) -> None:
        self.state.configure(**options)

    def add_media(self, data: bytes, content_type: str, kind: str = "image") -> str:
        """A file the fake serves from ``media/get``, as if a user had sent it; its media_id."""
        return self.state.store_media(kind, content_type, data)

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    """``python -m bot.wechat.fake --port P``: serve the fake until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m bot.wechat.fake", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--enforce-customer-service", action="store_true",
                        help="apply the 48-hour window and the per-window message limit")
    parser.add_argument("--wecom-user", action="append", dest="wecom_users",
                        help="a known WeCom user id (repeat); default: ids not starting with 'invalid'")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    state = FakeWeChatState(enforce_customer_service=args.enforce_customer_service, wecom_users=args.wecom_users)
    server = make_server(args.host, args.port, create_fake_app(state), threaded=True,
                         request_handler=_QuietRequestHandler)
    log.info("fake WeChat API listening on http://%s:%d/", args.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("fake WeChat API stopped")


if __name__ == "__main__":
    main()
