"""Privacy: the complainant hidden from the accused village committee end to end, secrets only
from the environment, a hardened dashboard (its own tests cover login, CSRF and hashing in depth)."""
import re

import yaml
from sqlalchemy import select

from bot import create_app
from bot.settings import DEFAULT_CONFIG
from models import Case, Notification
from tests import wechat
from tests.roster_fixture import build, resident

SECRET_NAMES = re.compile(r"(^|_)(secret|password|passwd|token|aes_?key|app_?id|corp_?id|api_?key|dsn)($|_)", re.I)
SECRET_LOOKING = re.compile(r"[A-Za-z0-9+/=_-]{24,}")


def _walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
            yield f"{path}.{key}", str(key), value
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def test_config_yaml_holds_no_secrets():
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    for path, key, value in _walk(config):
        if SECRET_NAMES.search(key):
            assert not isinstance(value, str) or not value, f"{path} looks like a secret"
        if isinstance(value, str):
            assert not SECRET_LOOKING.fullmatch(value), f"{path} holds a secret-looking value"
    assert not re.search(r"(postgres(ql)?|redis)://[^\s]*@", DEFAULT_CONFIG.read_text(encoding="utf-8"))


def test_complaint_about_the_village_committee_hides_the_complainant_through_the_webhook(client, runtime):
    with runtime.Session.begin() as session:
        rows = build(session)
        resident(session, "o_ah_complainant", rows["village"])
        committee_id = rows["committee"].id
    receipt = wechat.say(client, "o_ah_complainant", "村干部吃拿卡要，村务不公开，低保评选优亲厚友", aes=True)
    number = re.search(r"JH-\d{4}-\d{5}", receipt).group(0)
    leader = wechat.say(client, "o_chen", f"详情 {number}", aes=True)
    assert "已隐藏" in leader and "nant" not in leader  # the team leader sees the case, not who wrote
    committee = wechat.say(client, "o_wu", f"详情 {number}", aes=True)
    assert "没有找到" in committee and "nant" not in committee  # for the accused committee the case does not exist
    assert "微信尾号 nant" in wechat.say(client, "o_lin", f"详情 {number}", aes=True)  # the secretary handles it
    with runtime.Session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        pushes = session.scalars(select(Notification).where(Notification.case_id == case.id)).all()
    assert case.hidden_complainant and pushes
    assert all(p.recipient_id != committee_id or p.recipient_kind != "cadre" for p in pushes)
    assert not any("o_ah_complainant" in p.content or "nant" in p.content for p in pushes)


def test_the_dashboard_cookie_is_hardened_when_the_dashboard_is_on(settings_overrides):
    app = create_app({**settings_overrides, "DASHBOARD_SECRET_KEY": "k" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().post("/dashboard/login", data={"phone": "1", "password": "x"})
    assert response.status_code == 400  # no CSRF token
    app.extensions["bot"].engine.dispose()
