"""The project's one outbound WeChat / WeCom client: wechatpy pointed at a configurable base URL.

Every call, the token fetch included, goes to ``WECHAT_API_BASE_URL``; the access token lives in
Redis so all processes share one; a token error gets exactly one refresh and one retry. Callers
see plain Python values and ``WeChatApiError``, never HTTP or SDK objects.
"""
import logging
import time

import redis
import requests
from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

log = logging.getLogger(__name__)

WECHAT_BASE_URL = "https://api.weixin.qq.com/"
WECOM_BASE_URL = "https://qyapi.weixin.qq.com/"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# WeCom's "all recipients invalid" code; also used when an errcode-0 answer lists the user as invalid.
WECOM_INVALID_USER = 81013
# Tokens are stored for less than WeChat's lifetime so no process uses one that is about to expire.
TOKEN_MARGIN_SECONDS = 300
REDIS_PREFIX = "bot:wechat"


class WeChatApiError(Exception):
    """A WeChat API call failed; ``errcode`` is WeChat's code, or None for HTTP/network failures."""

    def __init__(self, errcode: int | None, errmsg: str, http_status: int | None = None):
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.http_status = http_status


def _normalise_base(url: str) -> str:
    """``https://host/`` from ``https://host``, ``https://host/`` or ``https://host/cgi-bin/``."""
    url = url.rstrip("/") + "/"
    return url[: -len("cgi-bin/")] if url.endswith("/cgi-bin/") else url


class _SharedTokenMixin:
    """Token handling shared by both SDK clients: configured URL, Redis storage, a fetch lock."""

    _token_endpoint = ""

    def _setup(self, base_url: str, lock_redis: redis.Redis) -> None:
        # Instance attribute shadows wechatpy's class constant, so every relative call uses our base.
        self.API_BASE_URL = base_url + "cgi-bin/"
        self._base_url = base_url
        self._lock_redis = lock_redis

    def _token_params(self) -> dict:
        raise NotImplementedError

    def _request(self, method, url_or_endpoint, **kwargs):
        """Refuse absolute URLs outside the configured base: nothing may leak to the real WeChat."""
        url = url_or_endpoint
        if url.startswith(("http://", "https://")) and not url.startswith(self._base_url):
            raise WeChatApiError(None, f"refusing to call {url.split('?')[0]} outside {self._base_url}")
        return super()._request(method, url_or_endpoint, **kwargs)

    def _token_lock(self):
        """A Redis lock so two processes never fetch at once (each fetch invalidates the last token)."""
        wait = (self.timeout or 5.0) * 2 + 1
        return self._lock_redis.lock(f"{REDIS_PREFIX}:lock:{self.access_token_key}",
                                     timeout=wait, blocking_timeout=wait)

    @property
    def access_token(self) -> str:
        """The shared token from Redis; fetched (once, under the lock) when missing."""
        token = self.session.get(self.access_token_key)
        if token:
            return token
        with self._token_lock():
            token = self.session.get(self.access_token_key)
            if not token:
                self.fetch_access_token()
                token = self.session.get(self.access_token_key)
        return token

    def refresh_token(self, rejected: str | None) -> None:
        """Replace ``rejected``, unless another process already has (then just use theirs)."""
        with self._token_lock():
            current = self.session.get(self.access_token_key)
            if current and current != rejected:
                log.info("access token already refreshed by another process")
                return
            self.session.delete(self.access_token_key)
            self.fetch_access_token()

    def fetch_access_token(self) -> dict:
        """Fetch a token from the configured base (wechatpy hard-codes WeChat's host), with a timeout."""
        log.info("fetching access token from %s%s", self.API_BASE_URL, self._token_endpoint)
        res = self._http.get(self.API_BASE_URL + self._token_endpoint, params=self._token_params(),
                             timeout=self.timeout)
        try:
            res.raise_for_status()
        except requests.RequestException as error:
            raise WeChatClientException(None, None, client=self, request=error.request,
                                        response=error.response) from error
        try:
            result = res.json()
        except ValueError as error:
            raise WeChatClientException(None, "token answer is not JSON", client=self, response=res) from error
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self,
                                        request=res.request, response=res)
        expires_in = int(result.get("expires_in", 7200))
        ttl = max(expires_in - TOKEN_MARGIN_SECONDS, 60)
        self.session.set(self.access_token_key, result["access_token"], ttl)
        self.expires_at = int(time.time()) + ttl
        return result


class _OfficialClient(_SharedTokenMixin, WeChatClient):
    """wechatpy's official-account client with the shared-token behaviour."""

    _token_endpoint = "token"

    def _token_params(self) -> dict:
        return {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}


class _WeComClient(_SharedTokenMixin, WeComClient):
    """wechatpy's WeCom client with the shared-token behaviour."""

    _token_endpoint = "gettoken"

    def _token_params(self) -> dict:
        return {"corpid": self.corp_id, "corpsecret": self.secret}


class WeChatApi:
    """The channel-oriented API background jobs use to reach residents and cadres."""

    def __init__(self, *, base_url: str, app_id: str, app_secret: str, redis: redis.Redis, timeout: float = 5.0,
                 wecom_corp_id: str | None = None, wecom_secret: str | None = None,
                 wecom_agent_id: int | str | None = None, wecom_base_url: str | None = None):
        base = _normalise_base(base_url)
        storage = RedisStorage(redis, prefix=REDIS_PREFIX)
        # auto_retry=False: in wechatpy 1.8.18 it recurses on 40001 until RecursionError.
        self._official = _OfficialClient(app_id, app_secret, session=storage, timeout=timeout, auto_retry=False)
        self._official._setup(base, redis)
        self._wecom = None
        self._wecom_agent_id = None
        if wecom_corp_id and wecom_secret and wecom_agent_id is not None:
            # WeCom has its own host in production; a fake or proxy serves both from one base.
            wecom_base = _normalise_base(wecom_base_url) if wecom_base_url else (
                WECOM_BASE_URL if base == WECHAT_BASE_URL else base)
            self._wecom = _WeComClient(wecom_corp_id, wecom_secret, session=storage, timeout=timeout,
                                       auto_retry=False)
            self._wecom._setup(wecom_base, redis)
            self._wecom_agent_id = int(wecom_agent_id)

    @classmethod
    def from_settings(cls, settings, redis_client: redis.Redis, timeout: float = 5.0) -> "WeChatApi":
        """Build from ``bot.settings.Settings``."""
        return cls(base_url=settings.wechat_api_base_url, app_id=settings.wechat_app_id,
                   app_secret=settings.wechat_app_secret, redis=redis_client, timeout=timeout,
                   wecom_corp_id=settings.wecom_corp_id, wecom_secret=settings.wecom_secret,
                   wecom_agent_id=settings.wecom_agent_id)

    @property
    def has_wecom(self) -> bool:
        """Whether WeCom credentials were given, so cadres can be reached by WeCom app message."""
        return self._wecom is not None

    # -- the calls ---------------------------------------------------------------------------

    def send_text(self, openid: str, text: str) -> None:
        """Send a customer-service text message."""
        self._call(self._official, lambda c: c.message.send_text(openid, text))

    def send_image(self, openid: str, media_id: str) -> None:
        """Send a customer-service image message."""
        self._call(self._official, lambda c: c.message.send_image(openid, media_id))

    def send_template(self, openid: str, template_id: str, data: dict, url: str | None = None) -> str:
        """Send a template message and return its msgid."""
        result = self._call(self._official, lambda c: c.message.send_template(openid, template_id, data, url=url))
        return str(self._field(result, "msgid"))

    def upload_image(self, png_bytes: bytes, filename: str = "chart.png") -> str:
        """Upload a temporary image and return its media_id."""
        result = self._call(self._official, lambda c: c.media.upload("image", (filename, png_bytes, "image/png")))
        return self._field(result, "media_id")

    def get_media(self, media_id: str) -> tuple[bytes, str]:
        """Download a temporary media file (WeChat keeps them 3 days): its bytes and content type."""
        res = self._call(self._official, lambda c: c.media.download(media_id), raw=True)
        if isinstance(res, dict) and res.get("video_url"):  # a video comes as a link to WeChat's CDN
            res = self._download(res["video_url"])
        if isinstance(res, dict) or not res.content:  # a JSON answer without errcode is no file either
            raise WeChatApiError(None, "answer holds no media")
        return res.content, res.headers.get("Content-Type", "application/octet-stream").split(";")[0]

    def _download(self, url: str) -> requests.Response:
        """Fetch a file by the plain link WeChat gave (it carries no token)."""
        try:
            answer = self._official._http.get(url, timeout=self._official.timeout)
            answer.raise_for_status()
        except requests.RequestException as error:
            raise WeChatApiError(None, f"download failed: {error.__class__.__name__}") from error
        return answer

    def create_qrcode(self, scene: str) -> tuple[str, str]:
        """Create a permanent QR code for a string scene; returns (ticket, url)."""
        payload = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
        result = self._call(self._official, lambda c: c.qrcode.create(payload))
        return self._field(result, "ticket"), self._field(result, "url")

    def create_menu(self, menu: dict) -> None:
        """Replace the official account's custom menu."""
        self._call(self._official, lambda c: c.menu.create(menu))

    def send_wecom_text(self, userid: str, text: str) -> None:
        """Send a WeCom app text message; an answer that lists the user as invalid is a failure."""
        if self._wecom is None:
            raise RuntimeError("WeCom is not configured (WECOM_CORP_ID, WECOM_SECRET, WECOM_AGENT_ID)")
        result = self._call(self._wecom, lambda c: c.message.send_text(self._wecom_agent_id, userid, text))
        invalid = [u for u in str(result.get("invaliduser") or "").split("|") if u]
        if userid in invalid:
            raise WeChatApiError(WECOM_INVALID_USER, f"invaliduser: {userid}")

    # -- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _field(result: dict, name: str):
        if name not in result:
            raise WeChatApiError(None, f"answer has no {name}")
        return result[name]

    def _call(self, client: _SharedTokenMixin, call, raw: bool = False) -> dict:
        """Run ``call(client)``; on a token error refresh once and retry once; map every failure.

        ``raw``: the answer may be a file (wechatpy then returns the HTTP response itself).
        """
        try:
            used = client.access_token
            try:
                result = call(client)
            except WeChatClientException as error:
                if error.errcode not in TOKEN_ERRORS:
                    raise
                log.warning("token rejected (%s), refreshing once and retrying", error.errcode)
                client.refresh_token(used)
                result = call(client)
        except WeChatClientException as error:
            raise _from_sdk(error) from error
        except requests.Timeout as error:
            raise WeChatApiError(None, "timeout") from error
        except requests.RequestException as error:
            raise WeChatApiError(None, f"network error: {error.__class__.__name__}") from error
        except redis.RedisError as error:
            # The token store is down or busy: a transient failure, like a network error.
            raise WeChatApiError(None, f"token store unavailable: {error.__class__.__name__}") from error
        if not isinstance(result, dict) and not raw:
            raise WeChatApiError(None, "answer is not JSON")
        return result


def _from_sdk(error: WeChatClientException) -> WeChatApiError:
    """Translate a wechatpy exception, keeping the HTTP status of HTTP-level failures."""
    status = getattr(error.response, "status_code", None)
    if error.errcode is None:
        return WeChatApiError(None, error.errmsg or f"HTTP {status}", http_status=status)
    return WeChatApiError(int(error.errcode), str(error.errmsg), http_status=status)
