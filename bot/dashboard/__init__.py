"""The web dashboard: figures, overdue cases, ledgers and the 台账 export for leaders and above.

Server-rendered (Jinja templates, PNG charts drawn by the server): nothing is fetched from the
internet. Enabled only when ``DASHBOARD_SECRET_KEY`` is set, since sessions must be signed.
"""
import logging
from datetime import timedelta

from flask import Blueprint

log = logging.getLogger(__name__)

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")


def init_app(app, env: dict) -> bool:
    """Register the dashboard on ``app`` if ``env`` has a secret key; returns whether it did."""
    key = env.get("DASHBOARD_SECRET_KEY") or ""
    if not key:
        log.info("dashboard disabled: DASHBOARD_SECRET_KEY is not set")
        return False
    from bot.dashboard import auth, cases, export, media, views  # noqa: F401  (they add their routes to bp)
    from bot.dashboard.throttle import Throttle
    from bot.media.attachments import signer

    app.secret_key = key
    app.config.update(
        SESSION_COOKIE_NAME="dashboard_session",
        SESSION_COOKIE_HTTPONLY=True,  # scripts cannot read the session
        SESSION_COOKIE_SAMESITE="Lax",  # other sites' forms cannot ride on it
        # Secure unless explicitly served over plain HTTP on a trusted network.
        SESSION_COOKIE_SECURE=env.get("DASHBOARD_INSECURE_COOKIES") != "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
    )
    runtime = app.extensions["bot"]
    runtime.dashboard_url = env.get("DASHBOARD_URL") or ""
    runtime.login_limiter = Throttle(runtime.redis)  # password guesses, per phone and per address
    runtime.media_signer = signer(key)  # links to attachments in 详情
    app.register_blueprint(bp)
    return True
