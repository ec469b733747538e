"""The dashboard attacked: stolen sessions after logout or a new password, password guessing from
one address or at one phone, timing of unknown phones, Redis down, framing, and formula cells."""
import io

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import cli
from bot.dashboard import auth, throttle
from bot.runtime import redis_client
from models import Cadre
from tests.test_dashboard import HTTPS, PASSWORD, get, login

pytestmark = pytest.mark.dashboard

COOKIE = "dashboard_session"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by the test."""
    moment = [1_800_000_000.0]
    monkeypatch.setattr(throttle, "now", lambda: moment[0])
    return moment


def stolen(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE, domain="localhost").value, domain="localhost")
    return thief


def test_logout_ends_a_copied_session_too(app, client, dashboard_world):
    assert login(client, dashboard_world["phones"]["leader"]).status_code == 302
    thief = stolen(app, client)
    assert get(thief, "/dashboard/").status_code == 200
    page = get(client, "/dashboard/").text
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/dashboard/logout", base_url=HTTPS, data={"csrf": token}).status_code == 302
    assert get(thief, "/dashboard/").status_code == 302  # the copied cookie no longer works
    assert login(client, dashboard_world["phones"]["leader"]).status_code == 302  # a new login does


def test_a_password_change_ends_every_session(app, client, dashboard_world, settings_overrides):
    login(client, dashboard_world["phones"]["secretary"])
    assert get(client, "/dashboard/").status_code == 200
    result = CliRunner().invoke(cli, ["dashboard", "set-password", dashboard_world["phones"]["secretary"],
                                      "--password", "another-long-password"], env=dict(settings_overrides))
    assert result.exit_code == 0, result.output
    assert get(client, "/dashboard/").status_code == 302


def test_guessing_one_phone_slows_down_exponentially_but_never_locks_out(client, dashboard_world, clock):
    leader = dashboard_world["phones"]["leader"]
    for _ in range(5):
        assert login(client, leader, "wrong-guess").status_code == 401
    waits = []
    for _ in range(3):
        throttled = login(client, leader, PASSWORD)
        assert throttled.status_code == 429 and "尝试次数过多" in throttled.text
        waits.append(int(throttled.headers["Retry-After"]))
        clock[0] += waits[-1]
        assert login(client, leader, "wrong-guess").status_code == 401  # after the wait: checked again
    assert waits == [2, 4, 8]
    clock[0] += 16
    assert login(client, leader, PASSWORD).status_code == 302  # the real user gets in after the wait


def test_guessing_many_phones_from_one_address_is_slowed_other_addresses_are_not(app, dashboard_world, clock):
    attacker = app.test_client()
    for n in range(20):
        attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        assert login(attacker, f"1390000{n:04d}", "guess").status_code == 401
    assert login(attacker, dashboard_world["phones"]["leader"], PASSWORD).status_code == 429
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(office, dashboard_world["phones"]["leader"], PASSWORD).status_code == 302


def test_unknown_phones_cost_the_same_hash_check(client, dashboard_world, monkeypatch):
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    assert login(client, "13000000000", "guess").status_code == 401
    assert login(client, dashboard_world["phones"]["leader"], "guess").status_code == 401
    assert len(checked) == 2 and checked[0].split("$")[0] == checked[1].split("$")[0]  # same method, same cost


def test_the_limit_holds_and_logins_work_while_redis_is_down(client, runtime, dashboard_world, clock):
    runtime.redis = redis_client("redis://127.0.0.1:1/0")  # nothing listens there
    runtime.login_limiter = throttle.Throttle(runtime.redis)
    leader = dashboard_world["phones"]["leader"]
    for _ in range(5):
        assert login(client, leader, "wrong-guess").status_code == 401
    assert login(client, leader, PASSWORD).status_code == 429  # closed: still limited
    clock[0] += 2
    assert login(client, leader, PASSWORD).status_code == 302  # usable: the user gets in


def test_every_page_sends_the_security_headers(client, dashboard_world):
    pages = [get(client, "/dashboard/login")]
    login(client, dashboard_world["phones"]["leader"])
    pages += [get(client, "/dashboard/"), get(client, "/dashboard/chart/rates.png")]
    for page in pages:
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")


EVIL = '=HYPERLINK("http://x.cn","点")'  # fits the 32-character name


def test_export_cells_are_always_text(client, runtime, dashboard_world, tmp_path, settings_overrides):
    with runtime.Session.begin() as session:
        road = session.scalar(select(Cadre).where(Cadre.name == "黄主任"))
        road.name = EVIL
    login(client, dashboard_world["phones"]["leader"])
    sheet = load_workbook(io.BytesIO(get(client, "/dashboard/export.xlsx?period=365d").data)).active
    owners = [row[5] for row in sheet.iter_rows(min_row=2)]
    assert any(cell.value == EVIL for cell in owners)
    assert all(cell.data_type == "s" for cell in owners)
    text = get(client, "/dashboard/export.csv?period=365d").data.decode("utf-8-sig")
    assert "'" + EVIL.replace('"', '""') in text
    out = tmp_path / "roster.xlsx"
    assert CliRunner().invoke(cli, ["roster", "export", str(out)], env=dict(settings_overrides)).exit_code == 0
    cadres = load_workbook(out)["cadres"]
    names = [row[4] for row in cadres.iter_rows(min_row=2)]
    assert any(cell.value == EVIL and cell.data_type == "s" for cell in names)
