"""Dashboard login: hashed passwords, a CSRF token in the session, and the logged-in cadre."""
import hmac
import secrets
from functools import wraps

from flask import abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.cases.permissions import READERS as ROLES  # who may log in: those who read figures
from bot.dashboard import bp
from bot.runtime import current_runtime
from bot.timefmt import CHINA
from models import Cadre, DashboardLogin

LOGIN_ATTEMPTS_PER_MINUTE = 5


def store_password(db, cadre: Cadre, password: str) -> None:
    """Set the cadre's dashboard password (hashed; replaces any earlier one)."""
    login = db.get(DashboardLogin, cadre.id) or DashboardLogin(cadre_id=cadre.id)
    login.password_hash = generate_password_hash(password)
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
            if cadre is None or not cadre.active or cadre.role not in ROLES:
                session.pop("cadre_id", None)
                return redirect(url_for("dashboard.login", next=request.full_path))
            g.cadre, g.db = cadre, db
            return view(*args, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in by mobile number and dashboard password."""
    error = None
    if request.method == "POST":
        phone, password = request.form.get("phone", "").strip(), request.form.get("password", "")
        if not current_runtime().login_limiter.allow(f"login:{phone}", current_runtime().clock()):
            error = current_runtime().config["texts"]["dashboard_login_throttled"]
            return render_template("dashboard/login.html", error=error), 429
        with current_runtime().Session() as db:
            cadre = db.scalar(select(Cadre).where(Cadre.phone == phone, Cadre.active.is_(True)))
            login = db.get(DashboardLogin, cadre.id) if cadre is not None and cadre.role in ROLES else None
            if login is not None and check_password_hash(login.password_hash, password):
                session.clear()  # a fresh session: no fixation, a fresh CSRF token
                session["cadre_id"] = cadre.id
                session.permanent = True
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/dashboard/") else url_for("dashboard.index"))
        error = current_runtime().config["texts"]["dashboard_login_failed"]
    return render_template("dashboard/login.html", error=error), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Forget the session."""
    session.clear()
    return redirect(url_for("dashboard.login"))
