"""The dashboard through Flask's test client: login, CSRF, cookies, scope, ledgers, charts, 台账 export."""
import csv
import io
import logging
import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot import create_app
from bot.cli import cli
from models import DashboardLogin
from tests.case_factory import DASHBOARD_PASSWORD as PASSWORD

pytestmark = pytest.mark.dashboard
HTTPS = "https://localhost"  # the session cookie is Secure: the test client sends it over https only


def csrf(client, path="/dashboard/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path, base_url=HTTPS).text).group(1)


def login(client, phone: str, password: str = PASSWORD):
    return client.post("/dashboard/login", base_url=HTTPS,
                       data={"phone": phone, "password": password, "csrf": csrf(client)})


def get(client, path: str):
    return client.get(path, base_url=HTTPS)


def test_dashboard_is_off_without_a_secret_key(settings_overrides, caplog):
    caplog.set_level(logging.INFO)
    app = create_app({k: v for k, v in settings_overrides.items() if k != "DASHBOARD_SECRET_KEY"} |
                     {"DASHBOARD_SECRET_KEY": ""})
    assert app.test_client().get("/dashboard/").status_code == 404
    assert "dashboard disabled: DASHBOARD_SECRET_KEY is not set" in caplog.text
    app.extensions["bot"].engine.dispose()


def test_login_sets_a_hardened_cookie_and_pages_need_it(client, dashboard_world):
    assert get(client, "/dashboard/").status_code == 302
    answer = login(client, dashboard_world["phones"]["leader"])
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "新高园村" in get(client, "/dashboard/").text


@pytest.mark.parametrize("who, password", [("leader", "wrong-password"), ("road", PASSWORD)])
def test_wrong_passwords_and_members_are_refused(client, dashboard_world, who, password):
    answer = login(client, dashboard_world["phones"][who], password)
    assert answer.status_code == 401 and "手机号或密码不正确" in answer.text


def test_posts_without_the_csrf_token_are_refused(client, dashboard_world):
    answer = client.post("/dashboard/login", base_url=HTTPS, data={"phone": dashboard_world["phones"]["leader"],
                                                                     "password": PASSWORD})
    assert answer.status_code == 400


def test_passwords_are_stored_hashed(runtime, dashboard_world):
    with runtime.Session() as session:
        hashes = [row.password_hash for row in session.query(DashboardLogin)]
    assert hashes and all(PASSWORD not in h and h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)


def test_each_sees_only_their_scope(client, dashboard_world):
    login(client, dashboard_world["phones"]["leader2"])
    page = get(client, "/dashboard/?period=365d").text
    assert "东风村" in page and "新高园村" not in page
    assert get(client, f"/dashboard/case/{dashboard_world['cases']['A']}").status_code == 404
    assert get(client, f"/dashboard/case/{dashboard_world['cases']['H']}").status_code == 200
    # A filter naming another team's village selects nothing rather than widening the scope.
    assert 'id="total-received">0<' in get(client, "/dashboard/?period=365d&village=1").text


def test_supervisor_sees_townships_and_a_case_ledger(client, dashboard_world):
    login(client, dashboard_world["phones"]["supervisor"])
    page = get(client, "/dashboard/?period=365d").text
    assert "金和镇" in page and "河婆街道" in page and 'id="total-received">11<' in page
    ledger = get(client, f"/dashboard/case/{dashboard_world['cases']['L']}").text
    assert dashboard_world["cases"]["L"] in ledger


def test_charts_are_png(client, dashboard_world):
    login(client, dashboard_world["phones"]["secretary"])
    for kind in ("rates", "trend"):
        answer = get(client, f"/dashboard/chart/{kind}.png?period=365d")
        assert answer.status_code == 200 and answer.data.startswith(b"\x89PNG")


def test_xlsx_export_holds_one_row_per_case_in_scope(client, dashboard_world):
    login(client, dashboard_world["phones"]["leader"])
    answer = get(client, "/dashboard/export.xlsx?period=365d")
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    header, *rows = list(sheet.values)
    assert header[:6] == ("案件编号", "镇街", "村（社区）", "类别", "状态", "负责人") and header[-1] == "用时（天）"
    assert {row[0] for row in rows} == {dashboard_world["cases"][k] for k in ("A", "B", "C", "D", "E", "F", "G", "before", "after")}
    a = next(row for row in rows if row[0] == dashboard_world["cases"]["A"])
    assert a[1:6] == ("金和镇", "新高园村", "交通运输", "已确认满意", "黄主任")
    assert a[6] == datetime(2026, 11, 16, 0, 30) and a[7] == datetime(2026, 11, 16, 2, 30)  # China time
    assert a[8] == datetime(2026, 11, 18, 0, 30) and a[9] == datetime(2026, 11, 18, 1, 30) and a[10] == 2.0


def test_csv_export_matches(client, dashboard_world):
    login(client, dashboard_world["phones"]["leader2"])
    answer = get(client, "/dashboard/export.csv?period=365d")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0][0] == "案件编号" and [r[0] for r in rows[1:]] == [dashboard_world["cases"]["H"]]
    assert rows[1][4] == "已关闭（未解决）" and rows[1][6] == "2026-11-16 10:00"


def test_cli_sets_a_password_that_logs_in(client, runtime, dashboard_world, settings_overrides):
    env = {k: v for k, v in settings_overrides.items()}
    result = CliRunner().invoke(cli, ["dashboard", "set-password", dashboard_world["phones"]["secretary"],
                                      "--password", "a-new-long-password"], env=env)
    assert result.exit_code == 0, result.output
    assert login(client, dashboard_world["phones"]["secretary"], "a-new-long-password").status_code == 302
    refused = CliRunner().invoke(cli, ["dashboard", "set-password", dashboard_world["phones"]["road"], "--password",
                                       "a-new-long-password"], env=env)
    assert refused.exit_code == 1


def test_password_guessing_is_throttled_per_phone(client, runtime, dashboard_world):
    runtime.clock = lambda: datetime(2030, 3, 5, 2, 0, 30, tzinfo=timezone.utc)  # all guesses in one minute
    leader = dashboard_world["phones"]["leader"]
    for _ in range(5):
        assert login(client, leader, "wrong-guess").status_code == 401
    throttled = login(client, leader, PASSWORD)  # even the right password waits out the minute
    assert throttled.status_code == 429 and "尝试次数过多" in throttled.text
    assert login(client, dashboard_world["phones"]["secretary"]).status_code == 302  # other people are unaffected
