"""The demo's data: migrate the SQLite file, load the demo roster, bind every cadre to a persona."""
import logging
from pathlib import Path

import redis
import yaml
from sqlalchemy import inspect, select

from bot.db import make_engine, make_sessionmaker
from bot.migrate import upgrade
from bot.settings import load_settings
from bot.wechat.client import REDIS_PREFIX
from models import Base, Cadre

log = logging.getLogger(__name__)


class DemoDataError(Exception):
    """The demo's database cannot be prepared; the message says why."""


def persona_openid(cadre: Cadre) -> str:
    """The openid a cadre's persona speaks with: ``o_<WeChat ID>``, or ``o_<phone>`` without one."""
    return f"o_{cadre.wechat or cadre.phone}"


def check_schema(engine) -> None:
    """Refuse to run on a schema the migrations left incomplete (a model without its migration)."""
    present = set(inspect(engine).get_table_names())
    missing = sorted(set(Base.metadata.tables) - present)
    if missing:
        raise DemoDataError(f"the migrations do not create these tables yet: {', '.join(missing)}")


def bind_cadres(Session) -> int:
    """Give every cadre without a WeChat binding its persona's openid; return how many were bound."""
    with Session.begin() as session:
        cadres = session.scalars(select(Cadre).where(Cadre.openid.is_(None))).all()
        for cadre in cadres:
            cadre.openid = persona_openid(cadre)
    return len(cadres)


DEMO_PASSWORD = "demo1234"


def dashboard_logins(Session) -> str | None:
    """Give leaders, secretaries and supervisors without a dashboard login the demo password.

    Returns the phone of a supervisor (who sees the whole county) to print in the banner.
    """
    from bot.dashboard.auth import ROLES, store_password
    from models import DashboardLogin

    with Session.begin() as session:
        cadres = session.scalars(select(Cadre).where(Cadre.role.in_(ROLES), Cadre.active.is_(True))
                                 .order_by(Cadre.role.desc(), Cadre.id)).all()
        for cadre in cadres:
            if session.get(DashboardLogin, cadre.id) is None:
                store_password(session, cadre, DEMO_PASSWORD)
        return cadres[0].phone if cadres else None


def import_demo_roster(Session, roster: Path, categories) -> None:
    """Load the demo roster through the project's importer (idempotent: a second run changes nothing)."""
    from bot.roster.importer import import_roster

    import_roster(Session, roster, categories)


def import_demo_knowledge(Session, source: Path) -> None:
    """The demo's own knowledge base, once: an administrator's import later is kept."""
    from sqlalchemy import func, select

    from bot.reading.knowledge import import_knowledge
    from models import KnowledgeEntry

    with Session.begin() as session:
        if source.is_file() and not session.scalar(select(func.count()).select_from(KnowledgeEntry)):
            import_knowledge(session, source)


def forget_tokens(redis_url: str) -> None:
    """Drop access tokens of an earlier run: the fake that issued them is gone."""
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{REDIS_PREFIX}:*"))
    if keys:
        client.delete(*keys)


def write_demo_config(instance: Path, source: Path) -> Path:
    """Copy the config for the demo, without quiet hours: a visitor at 23:00 must see pushes too."""
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    notifications = config.get("notifications")
    if isinstance(notifications, dict) and "quiet_hours" in notifications:
        notifications["quiet_hours"] = {"start": "00:00", "end": "00:00"}  # an empty span: never quiet
    target = instance / "demo_config.yaml"
    target.write_text("# Written by `python -m bot demo` from config.yaml on every start; edit that one.\n"
                      + yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def prepare(env: dict, roster: Path) -> str | None:
    """Bring the demo database up to date and fill it with the demo roster, bound cadres and logins.

    Returns the phone number the banner offers for the dashboard.
    """
    settings = load_settings(env)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
        Session = make_sessionmaker(engine)
        import_demo_roster(Session, roster, settings.config.get("categories") or {})
        import_demo_knowledge(Session, roster.parent / "knowledge.yaml")
        bound = bind_cadres(Session)
        login_phone = dashboard_logins(Session)
    finally:
        engine.dispose()
    forget_tokens(settings.redis_url)
    log.info("demo data ready (%d cadres newly bound to personas)", bound)
    return login_phone
