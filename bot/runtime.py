"""The app's long-lived parts, built once per process and shared by web requests and jobs."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.db import make_engine, make_sessionmaker
from bot.inbox.dedupe import Dedupe
from bot.inbox.ratelimit import RateLimiter
from bot.redis_server import ensure_own_redis
from bot.roster.facts import RosterFacts, attach
from bot.settings import Settings
from bot.wechat.client import WeChatApi
from bot.wechat.protocol import Protocol
from handlers import Registry, build_registry
from models import utcnow

if TYPE_CHECKING:
    from bot.cases.model_store import LiveClassifier

DEFAULT_HTTP_TIMEOUT_SECONDS = 5.0
DEFAULT_RATE_LIMIT_PER_MINUTE = 20


@dataclass(eq=False)
class Runtime:
    """Settings, database, Redis, protocol, handler registry and the shared clients of one process."""

    settings: Settings
    engine: Engine
    Session: sessionmaker
    redis: redis.Redis
    redis_url: str
    protocol: Protocol
    registry: Registry
    dedupe: Dedupe
    classifier: "LiveClassifier"
    facts: RosterFacts  # the roster facts cached for this process (bot/roster/facts.py)
    clock: Callable[[], datetime] = utcnow  # what "now" is when a caller gives none; tests may set it
    dashboard_url: str = ""  # public base of the dashboard's links (DASHBOARD_URL), set by the dashboard
    login_limiter: Any = None  # the dashboard's password throttle (bot/dashboard/throttle.py), set when it is on
    kick_down_until: float = 0.0  # monotonic time before which the relay kick skips a failed Redis
    media_signer: Any = None  # signs links to case media (itsdangerous), set when the dashboard is on
    wecom_protocol: Any = None  # the WeCom callback's protocol, built on first use (bot/wechat/wecom.py)

    @property
    def config(self) -> dict:
        """The parsed config.yaml."""
        return self.settings.config

    @cached_property
    def wechat_api(self) -> WeChatApi:
        """The outbound WeChat/WeCom client, built on first use (it shares the access token via Redis)."""
        timeout = (self.config.get("notifications") or {}).get("http_timeout_seconds", DEFAULT_HTTP_TIMEOUT_SECONDS)
        return WeChatApi.from_settings(self.settings, self.redis, timeout=timeout)

    @cached_property
    def media_store(self):
        """Where case media are kept (S3 or instance/media), built on first use."""
        from bot.media.store import build_store

        return build_store(self.settings)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """The chat's per-openid limit, built on first use from config.yaml's ``abuse`` block."""
        per_minute = (self.config.get("abuse") or {}).get("rate_limit_per_minute", DEFAULT_RATE_LIMIT_PER_MINUTE)
        return RateLimiter(self.redis, int(per_minute))

    @cached_property
    def api_rate_limiter(self) -> RateLimiter:
        """The open API's per-key limit (config.yaml's ``api`` block), built on first use."""
        per_minute = (self.config.get("api") or {}).get("rate_limit_per_minute", 120)
        return RateLimiter(self.redis, int(per_minute))


def current_runtime() -> Runtime:
    """The Runtime of the app whose context this request or job runs in."""
    return current_app.extensions["bot"]


def redis_client(url: str) -> redis.Redis:
    """A Redis client that gives up quickly, so a dead Redis never holds up WeChat's 5 seconds."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.3, socket_timeout=1.0, health_check_interval=30,
        retry=Retry(NoBackoff(), 0),  # redis-py's default retries with backoff for seconds
    )


def build_runtime(settings: Settings) -> Runtime:
    """Connect everything the settings name (starting the project's own Redis if none is given)."""
    redis_url = settings.redis_url or ensure_own_redis(settings.instance_path)
    engine = make_engine(settings.database_url)
    client = redis_client(redis_url)
    wechat = settings.config["wechat"]
    Session = make_sessionmaker(engine)
    facts = RosterFacts(client)
    attach(Session, facts)  # a roster change committed here drops the facts and tells the other processes
    return Runtime(
        settings=settings,
        engine=engine,
        Session=Session,
        redis=client,
        redis_url=redis_url,
        protocol=Protocol(
            settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key,
            wechat["timestamp_tolerance_seconds"], mode=settings.wechat_security_mode,
        ),
        registry=build_registry(),
        dedupe=Dedupe(client, wechat["dedupe_ttl_seconds"]),
        classifier=load_classifier(settings, Session),
        facts=facts,
    )


def load_classifier(settings: Settings, Session):
    """The classifier: config's keyword rules plus the live model (the database's, else instance/'s file)."""
    from bot.cases.classifier import Classifier
    from bot.cases.model_store import LiveClassifier

    model = settings.instance_path / "classifier.joblib"
    rules = settings.config.get("classifier") or {}
    base = Classifier.from_config(settings.config.get("categories") or {}, model if model.exists() else None,
                                  min_confidence=rules.get("min_confidence", 0.4), cache_dir=settings.instance_path)
    return LiveClassifier(base, Session, check_seconds=rules.get("reload_check_seconds", 10))
