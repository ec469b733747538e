"""Settings: ``config.yaml`` for behaviour, environment variables for secrets and URLs.

A missing or malformed setting raises ``SettingsError`` whose message is one line naming it;
the CLI and the app factory turn that into a clean stop.
"""
import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yaml"
WECHAT_API = "https://api.weixin.qq.com/"
SECURITY_MODES = ("plaintext", "compatible", "safe")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start, checked once."""

    wechat_token: str
    wechat_app_id: str
    wechat_app_secret: str
    wechat_aes_key: str | None
    wechat_api_base_url: str
    wechat_security_mode: str
    database_url: str
    redis_url: str | None
    instance_path: Path
    config: dict = field(repr=False)
    wecom_corp_id: str | None = None
    wecom_secret: str | None = None
    wecom_agent_id: str | None = None
    wecom_token: str | None = None  # the WeCom app's callback Token (the /wecom endpoint)
    wecom_aes_key: str | None = None  # and its EncodingAESKey
    media_s3_bucket: str | None = None  # residents' photos and voice go here; unset: instance/media/
    media_s3_endpoint_url: str | None = None  # an S3-compatible server (MinIO, OSS, COS); unset: AWS


def _read_yaml(path: Path) -> dict:
    """Load the YAML config file, naming it when it cannot be read."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"BOT_CONFIG: file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"BOT_CONFIG: {path} is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"BOT_CONFIG: {path} must hold a mapping")
    return data


def _required(env: dict, name: str, pattern: str, what: str) -> str:
    """Return env[name], or raise naming it when unset or not matching ``pattern``."""
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"{name} is not set ({what})")
    if not re.fullmatch(pattern, value):
        raise SettingsError(f"{name} is malformed: expected {what}")
    return value


def _aes_key(value: str | None, name: str = "WECHAT_AES_KEY") -> str | None:
    """Check an EncodingAESKey: 43 characters that decode (with '=') to 32 bytes."""
    if not value:
        return None
    try:
        ok = len(value) == 43 and len(base64.b64decode(value + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        raise SettingsError(f"{name} is malformed: expected the 43-character EncodingAESKey")
    return value


def _security_mode(value: str | None, aes_key: str | None) -> str:
    """WECHAT_SECURITY_MODE: ``safe`` by default with an AES key, ``plaintext`` without one."""
    mode = value or ("safe" if aes_key else "plaintext")
    if mode not in SECURITY_MODES:
        raise SettingsError(f"WECHAT_SECURITY_MODE is malformed: expected {' | '.join(SECURITY_MODES)}")
    if mode != "plaintext" and not aes_key:
        raise SettingsError(f"WECHAT_SECURITY_MODE is {mode}: WECHAT_AES_KEY is not set (the EncodingAESKey)")
    return mode


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    """Check that a URL setting starts with one of ``schemes``."""
    if not value.startswith(schemes):
        raise SettingsError(f"{name} is malformed: expected a URL starting with {' or '.join(schemes)}")
    return value


def _database_url(value: str) -> str:
    """Check that SQLAlchemy can parse the database URL."""
    try:
        make_url(value)
    except ArgumentError:
        raise SettingsError("DATABASE_URL is malformed: expected an SQLAlchemy URL") from None
    return value


def _merge(base: dict, extra: dict) -> dict:
    """``base`` with ``extra`` merged in, mapping by mapping (extra wins on plain values)."""
    merged = dict(base)
    for key, value in extra.items():
        both_maps = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both_maps else value
    return merged


def _include_path(config_path: Path, name: str) -> Path:
    """An included file, relative to the config file; a copied config falls back to the project's."""
    path = config_path.parent / name
    return path if path.exists() or (ROOT / name) == path else ROOT / name


def read_config(env: dict | None = None) -> dict:
    """The parsed config.yaml (or the file BOT_CONFIG names), with the files it includes merged in."""
    env = os.environ if env is None else env
    path = Path(env.get("BOT_CONFIG") or DEFAULT_CONFIG)
    config = _read_yaml(path)
    includes = config.pop("include", None) or []
    if not isinstance(includes, list) or not all(isinstance(name, str) for name in includes):
        raise SettingsError(f"include: in {path} must be a list of file paths")
    data: dict = {}
    for name in includes:
        data = _merge(data, _read_yaml(_include_path(path, name)))
    return _merge(data, config)  # the config file itself overrides what it includes


def instance_path(env: dict | None = None) -> Path:
    """The folder for the SQLite file, the own Redis, caches and the trained model."""
    env = os.environ if env is None else env
    return Path(env.get("BOT_INSTANCE") or ROOT / "instance").resolve()


def database_url(env: dict | None = None) -> str:
    """DATABASE_URL, or the SQLite file in the instance folder."""
    env = os.environ if env is None else env
    return env.get("DATABASE_URL") or f"sqlite:///{instance_path(env) / 'bot.sqlite3'}"


def load_settings(overrides: dict | None = None) -> Settings:
    """Build Settings from the environment, with ``overrides`` (tests, the demo) taking precedence."""
    env = {**os.environ, **(overrides or {})}
    config = read_config(env)
    if (config.get("station_days") or {}).get("on_holiday", "keep") not in ("skip", "next_working_day", "keep"):
        raise SettingsError("station_days.on_holiday in config.yaml is malformed: expected skip, next_working_day or keep")
    instance = instance_path(env)
    redis_url = env.get("REDIS_URL") or None
    aes_key = _aes_key(env.get("WECHAT_AES_KEY"))
    return Settings(
        wechat_token=_required(env, "WECHAT_TOKEN", r"[A-Za-z0-9]{3,32}", "3-32 letters or digits"),
        wechat_app_id=_required(env, "WECHAT_APP_ID", r"wx[0-9a-zA-Z]{6,30}", "an AppID like wx1234..."),
        wechat_app_secret=_required(env, "WECHAT_APP_SECRET", r"[0-9a-zA-Z]{6,64}", "the AppSecret"),
        wechat_aes_key=aes_key,
        wechat_security_mode=_security_mode(env.get("WECHAT_SECURITY_MODE"), aes_key),
        wechat_api_base_url=_url(
            "WECHAT_API_BASE_URL", env.get("WECHAT_API_BASE_URL") or WECHAT_API, ("http://", "https://")
        ).rstrip("/") + "/",
        database_url=_database_url(database_url(env)),
        redis_url=_url("REDIS_URL", redis_url, ("redis://", "rediss://", "unix://")) if redis_url else None,
        instance_path=instance,
        config=config,
        wecom_corp_id=env.get("WECOM_CORP_ID") or None,
        wecom_secret=env.get("WECOM_SECRET") or None,
        wecom_agent_id=env.get("WECOM_AGENT_ID") or None,
        wecom_token=env.get("WECOM_TOKEN") or None,
        wecom_aes_key=_aes_key(env.get("WECOM_AES_KEY"), "WECOM_AES_KEY"),
        media_s3_bucket=env.get("MEDIA_S3_BUCKET") or None,
        media_s3_endpoint_url=_url("MEDIA_S3_ENDPOINT_URL", env["MEDIA_S3_ENDPOINT_URL"], ("http://", "https://"))
        if env.get("MEDIA_S3_ENDPOINT_URL") else None,
    )
