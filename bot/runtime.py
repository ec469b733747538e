"""The app's long-lived parts, built once per process and shared by web requests and jobs."""
from dataclasses import dataclass, field

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.db import make_engine, make_sessionmaker
from bot.inbox.dedupe import Dedupe
from bot.redis_server import ensure_own_redis
from bot.settings import Settings
from bot.wechat.protocol import Protocol
from handlers import Registry, build_registry


@dataclass
class Runtime:
    """Settings, database, Redis, protocol and handler registry of one process."""

    settings: Settings
    engine: Engine
    Session: sessionmaker
    redis: redis.Redis
    protocol: Protocol
    registry: Registry
    dedupe: Dedupe
    services: dict = field(default_factory=dict)

    @property
    def config(self) -> dict:
        """The parsed config.yaml."""
        return self.settings.config


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
    return Runtime(
        settings=settings,
        engine=engine,
        Session=Session,
        redis=client,
        protocol=Protocol(
            settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key,
            wechat["timestamp_tolerance_seconds"], mode=settings.wechat_security_mode,
        ),
        registry=build_registry(),
        dedupe=Dedupe(client, wechat["dedupe_ttl_seconds"]),
        services={"redis_url": redis_url, "redis": client, "classifier": load_classifier(settings, Session)},
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
