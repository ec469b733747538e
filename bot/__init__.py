"""The 驻点联系 bot: a WeChat official account that connects villagers with their station team."""
import logging
import os
import sys

from flask import Flask
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.settings import SettingsError, load_settings


def create_app(config: dict | None = None) -> Flask:
    """Create the Flask app; ``config`` overrides environment settings (tests, the demo)."""
    from bot import dashboard
    from bot.api.routes import bp as open311
    from bot.logs import configure_logging
    from bot.ops import bp as ops
    from bot.runtime import build_runtime
    from bot.wechat.webhook import bp as gateway
    from bot.wechat.wecom import bp as wecom

    configure_logging(os.environ.get("LOG_FORMAT", ""))  # phones and openids masked; JSON lines if asked
    try:
        settings = load_settings(config)
    except SettingsError as error:
        sys.exit(f"configuration error: {error}")
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config["MAX_CONTENT_LENGTH"] = settings.config["wechat"]["max_body_bytes"]
    app.extensions["bot"] = build_runtime(settings)
    app.register_blueprint(gateway)
    app.register_blueprint(wecom)  # /wecom: cadres' replies in WeCom (off until WECOM_TOKEN is set)
    app.register_blueprint(ops)  # /healthz and /metrics
    app.register_blueprint(open311)  # /open311/v2/: the county's other systems
    dashboard.init_app(app, {**os.environ, **(config or {})})  # off without DASHBOARD_SECRET_KEY
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(InterfaceError, _database_down)
    return app


def _database_down(error):
    """Fail fast while the database is unreachable, so WeChat retries the message later."""
    logging.getLogger("bot").error("database unavailable: %s", error.__class__.__name__)
    return "database unavailable", 503
