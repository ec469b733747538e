"""The one way the application builds its outbound WeChat client: from settings, sharing Redis."""
from bot.wechat.client import WeChatApi

DEFAULT_TIMEOUT_SECONDS = 5.0


def wechat_api(runtime) -> WeChatApi:
    """The process's outbound client, built on first use (base URL, app id/secret, Redis token store)."""
    if "wechat_api" not in runtime.services:
        timeout = (runtime.config.get("notifications") or {}).get("http_timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        runtime.services["wechat_api"] = WeChatApi.from_settings(runtime.settings, runtime.redis, timeout=timeout)
    return runtime.services["wechat_api"]
