"""Dashboard login: hashed passwords, a CSRF token in the session, and the logged-in cadre."""
import hmac
import secrets
from functools import lru_cache, wraps

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.cases.permissions import READERS as ROLES  # who may log in: those who read figures
from bot.dashboard import bp
from bot.runtime import current_runtime
from bot.timefmt import CHINA
from models import Cadre, DashboardLogin


def store_password(db, cadre: Cadre, password: str) -> None:
    """Set the cadre's dashboard password (hashed; replaces any earlier one and ends its sessions)."""
    login = db.get(DashboardLogin, cadre.id) or DashboardLogin(cadre_id=cadre.id, session_version=0)
    login.password_hash = generate_password_hash(password)
    login.session_version = (login.session_version or 0) + 1
    db.add(login)


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def check_csrf() -> None:
    """Refuse any POST whose form token does not match the session's."""
    if request.method == "POST":
        sent = request.form.get("csrf", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, "CSRF token missing or wrong")


@bp.app_context_processor
def template_helpers() -> dict:
    """Make the CSRF token and the logged-in cadre available to every template."""
    return {"csrf_token": csrf_token, "me": g.get("cadre"), "china": CHINA}


def login_required(view):
    """Run ``view`` with ``g.cadre`` and ``g.db`` set, or send the visitor to the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        cadre_id = session.get("cadre_id")
        with current_runtime().Session() as db:
            cadre = db.get(Cadre, cadre_id) if cadre_id else None
            record = db.get(DashboardLogin, cadre_id) if cadre_id else None
            # A session from before a logout or a password change carries an old version: void.
            stale = record is None or record.session_version != session.get("version")
            if cadre is None or not cadre.active or cadre.role not in ROLES or stale:
                session.pop("cadre_id", None)
                return redirect(url_for("dashboard.login", next=request.full_path))
            g.cadre, g.db = cadre, db
            return view(*args, **kwargs)

    return wrapper


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check unknown phones against, so they cost what a wrong password costs."""
    return generate_password_hash(secrets.token_urlsafe(16))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in by mobile number and dashboard password."""
    error = None
    if request.method == "POST":
        phone, password = request.form.get("phone", "").strip()[:20], request.form.get("password", "")[:200]
        limiter, addr = current_runtime().login_limiter, request.remote_addr or "-"
        wait = limiter.wait(phone, addr)
        if wait:
            error = current_runtime().config["texts"]["dashboard_login_throttled"].format(seconds=wait)
            return render_template("dashboard/login.html", error=error), 429, {"Retry-After": str(wait)}
        with current_runtime().Session() as db:
            cadre = db.scalar(select(Cadre).where(Cadre.phone == phone, Cadre.active.is_(True)))
            login = db.get(DashboardLogin, cadre.id) if cadre is not None and cadre.role in ROLES else None
            # The same hash check whether or not the phone has a login: timing tells nothing.
            ok = check_password_hash(login.password_hash if login else _decoy_hash(), password)
            if login is not None and ok:
                limiter.succeeded(phone)
                session.clear()  # a fresh session: no fixation, a fresh CSRF token
                session["cadre_id"] = cadre.id
                session["version"] = login.session_version
                session.permanent = True
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/dashboard/") else url_for("dashboard.index"))
        limiter.failed(phone, addr)
        error = current_runtime().config["texts"]["dashboard_login_failed"]
    return render_template("dashboard/login.html", error=error), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """End every session of this login (a copied cookie dies with it), then forget this one."""
    cadre_id = session.get("cadre_id")
    if cadre_id:
        with current_runtime().Session.begin() as db:
            login = db.get(DashboardLogin, cadre_id)
            if login is not None and login.session_version == session.get("version"):
                login.session_version += 1
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.after_request
def security_headers(response):
    """The standard headers: no framing, no sniffing, no referrer leaks, a strict CSP; HSTS over HTTPS."""
    response.headers.setdefault("Content-Security-Policy", (  # a route may set a stricter one (downloads)
        "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"))
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
