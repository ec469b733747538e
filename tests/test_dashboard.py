"""The dashboard through Flask's test client: login, CSRF, cookies, scope, ledgers, charts, 台账 export."""
import calendar
import csv
import io
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from bot import create_app
from bot.cli import cli
from bot.dashboard import throttle
from bot.timefmt import CHINA
from models import Cadre, Case, CaseEvent, DashboardLogin, Resident, Village
from tests.case_factory import DASHBOARD_PASSWORD as PASSWORD
from tests.dialog import Chat

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
    row = dict(zip(header, next(row for row in rows if row[0] == dashboard_world["cases"]["A"])))
    assert (row["镇街"], row["村（社区）"], row["类别"], row["状态"], row["负责人"]) == ("金和镇", "新高园村", "交通运输", "已确认满意", "黄主任")
    assert row["收到时间"] == datetime(2026, 11, 16, 0, 30) and row["首次联系"] == datetime(2026, 11, 16, 2, 30)  # China time
    assert row["联系时限"] == datetime(2026, 11, 17, 0, 30) and row["办结时限"] == datetime(2026, 11, 23, 0, 30)
    assert row["办结时间"] == datetime(2026, 11, 18, 0, 30) and row["确认时间"] == datetime(2026, 11, 18, 1, 30)
    assert row["用时（天）"] == 2.0 and row["群众评价"] == "满意" and row["反映内容"] == "测试案件"
    d = dict(zip(header, next(row for row in rows if row[0] == dashboard_world["cases"]["D"])))
    assert d["反映人数"] == 3
    # Readable widths: the text columns are wide, the header row stays in view.
    assert sheet.column_dimensions["G"].width >= 40 and sheet.freeze_panes == "A2"


def test_csv_export_matches(client, dashboard_world):
    login(client, dashboard_world["phones"]["leader2"])
    answer = get(client, "/dashboard/export.csv?period=365d")
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[0] == "案件编号" and [r[0] for r in rows[1:]] == [dashboard_world["cases"]["H"]]
    h = dict(zip(header, rows[1]))
    assert h["状态"] == "已关闭（未解决）" and h["收到时间"] == "2026-11-16 10:00"


def test_the_ledger_export_carries_answer_verdict_reason_and_days_open(client, runtime, dashboard_world):
    with runtime.Session.begin() as session:
        c = session.scalar(select(Case).where(Case.number == dashboard_world["cases"]["C"]))
        c.text, c.answer = '=HYPERLINK("http://evil.example/","点我")', "+已派人修复"
        session.add(CaseEvent(case=c, actor_kind="resident", actor_id=c.resident_id, action="reopen",
                              from_state="resolved", to_state="reopened", note="-路灯还是不亮", at=c.received_at))
    login(client, dashboard_world["phones"]["leader"])
    book = load_workbook(io.BytesIO(get(client, "/dashboard/export.xlsx?period=365d").data))
    header, *rows = list(book.active.iter_rows())
    names = [cell.value for cell in header]
    row = {names[i]: cell for i, cell in enumerate(next(r for r in rows if r[0].value == dashboard_world["cases"]["C"]))}
    for column, value in (("反映内容", c.text), ("答复", "+已派人修复"), ("评价理由", "-路灯还是不亮")):
        assert row[column].value == value and row[column].data_type == "s"  # text, never a formula
    assert row["群众评价"].value == "不满意"
    # Still open (reopened): days run to now, not to the earlier resolution.
    received = datetime(2026, 11, 17, 1, 0, tzinfo=timezone.utc)
    assert abs(row["用时（天）"].value - (datetime.now(timezone.utc) - received).total_seconds() / 86400) < 0.2
    text = get(client, "/dashboard/export.csv?period=365d").data.decode("utf-8-sig")
    line = next(r for r in csv.reader(io.StringIO(text)) if r[0] == dashboard_world["cases"]["C"])
    assert line[6] == "'" + c.text and line[7] == "'+已派人修复" and line[9] == "'-路灯还是不亮"


def test_the_export_file_names_the_period_by_its_first_and_last_day(client, dashboard_world):
    login(client, dashboard_world["phones"]["leader"])
    today = datetime.now(CHINA).date()
    first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    for suffix in ("xlsx", "csv"):
        disposition = get(client, f"/dashboard/export.{suffix}?period=month").headers["Content-Disposition"]
        assert f'filename="taizhang-{first:%Y%m%d}-{last:%Y%m%d}.{suffix}"' in disposition
        assert "filename*=UTF-8''%E5%8F%B0%E8%B4%A6" in disposition  # 台账


def test_cli_sets_a_password_that_logs_in(client, runtime, dashboard_world, settings_overrides):
    env = {k: v for k, v in settings_overrides.items()}
    result = CliRunner().invoke(cli, ["dashboard", "set-password", dashboard_world["phones"]["secretary"],
                                      "--password", "a-new-long-password"], env=env)
    assert result.exit_code == 0, result.output
    assert login(client, dashboard_world["phones"]["secretary"], "a-new-long-password").status_code == 302
    refused = CliRunner().invoke(cli, ["dashboard", "set-password", dashboard_world["phones"]["road"], "--password",
                                       "a-new-long-password"], env=env)
    assert refused.exit_code == 1


def test_password_guessing_is_throttled_per_phone(client, dashboard_world, monkeypatch):
    monkeypatch.setattr(throttle, "now", lambda: 1_800_000_000.0)  # all guesses at one moment
    leader = dashboard_world["phones"]["leader"]
    for _ in range(5):
        assert login(client, leader, "wrong-guess").status_code == 401
    throttled = login(client, leader, PASSWORD)  # even the right password waits out the delay
    assert throttled.status_code == 429 and "尝试次数过多" in throttled.text
    assert login(client, dashboard_world["phones"]["secretary"]).status_code == 302  # other people are unaffected


def rows_of(page: str) -> list[str]:
    """The case numbers listed in a case-list page, in order."""
    table = page[page.index('id="cases"'):page.index("</table>", page.index('id="cases"'))]
    return re.findall(r'href="/dashboard/case/([A-Z0-9-]+)"', table)


def test_the_case_list_filters_searches_sorts_and_pages(client, runtime, dashboard_world):
    from bot.reports.periods import month
    from tests.case_factory import make_case

    start = month(datetime.now(timezone.utc)).start  # this month (the list's default period), newest first
    with runtime.Session.begin() as session:
        r = {c.name: c for c in session.scalars(select(Cadre))}
        village = session.scalar(select(Village).where(Village.name == "东风村"))
        resident = session.scalar(select(Resident).where(Resident.openid == "o_dong"))
        made = [make_case(session, village, resident, start + timedelta(minutes=60 - i), assignee=r["郑副镇长"])
                for i in range(52)]
        made[0].text, made[0].category, made[0].state = "村口路灯坏了", "城乡建设", "accepted"
        made[0].owner, made[0].assignee = r["周干事"], None
        numbers = [c.number for c in made]
    login(client, dashboard_world["phones"]["leader2"])
    first = get(client, "/dashboard/cases").text
    assert rows_of(first) == numbers[:50] and "共 52 件" in first and 'id="next"' in first
    assert rows_of(get(client, "/dashboard/cases?page=2").text) == numbers[50:]
    assert rows_of(get(client, "/dashboard/cases?sort=oldest").text)[:2] == numbers[:-3:-1]
    assert rows_of(get(client, "/dashboard/cases?q=路灯").text) == [numbers[0]]
    assert rows_of(get(client, f"/dashboard/cases?q={numbers[7].lower()}").text) == [numbers[7]]
    assert rows_of(get(client, "/dashboard/cases?category=城乡建设").text) == [numbers[0]]
    assert rows_of(get(client, f"/dashboard/cases?owner={r['周干事'].id}").text) == [numbers[0]]
    assert rows_of(get(client, "/dashboard/cases?state=accepted").text) == [numbers[0]]
    # The year holds November's closed case H too; "open" leaves it out; other teams' cases never show.
    year = get(client, "/dashboard/cases?period=365d&sort=number").text
    assert rows_of(year)[0] == dashboard_world["cases"]["H"] and "共 53 件" in year and dashboard_world["cases"]["A"] not in year
    assert rows_of(get(client, "/dashboard/cases?period=365d&sort=number&page=2").text) == sorted(numbers)[-3:]
    assert "共 52 件" in get(client, "/dashboard/cases?period=365d&state=open").text
    # Bad input is ignored, never an error.
    assert get(client, "/dashboard/cases?page=x&sort=drop&state=nonsense&owner=-1").status_code == 200
    assert "没有符合条件的案件" in get(client, "/dashboard/cases?q=%25%25%25").text


def test_unknown_pages_and_cases_are_a_chinese_404(client, dashboard_world):
    login(client, dashboard_world["phones"]["leader"])
    for path in ("/dashboard/case/JH-2099-99999", f"/dashboard/case/{dashboard_world['cases']['H']}", "/dashboard/nowhere"):
        answer = get(client, path)
        assert answer.status_code == 404 and "没有找到这个页面" in answer.text and "Not Found" not in answer.text
    assert "没有找到" not in client.get("/nowhere").text  # outside the dashboard: the plain answer


def test_the_case_history_reads_in_chinese(client, runtime, dashboard_world):
    from tests.case_factory import number_cases_from

    number_cases_from(runtime, 90000)  # clear of the factory's numbers
    chat = Chat(runtime, datetime.now(timezone.utc))
    receipt = chat.say("o_ah", "村口的路灯坏了好几天，晚上出门很不安全")
    number = re.search(r"[A-Z]{2}-\d{4}-\d{5}", receipt).group(0)
    chat.dialog([("o_chen", f"转办 {number} 周干事", "周干事"), ("o_chen", f"接单 {number}", number),
                 ("o_chen", f"备注 {number} 已到现场查看", number), ("o_chen", f"改类 {number} 城乡建设", "城乡建设"),
                 ("o_chen", f"办结 {number} 已更换灯泡", number), ("o_ah", f"不满意 {number} 另一盏也不亮", number)])
    login(client, dashboard_world["phones"]["leader"])
    page = get(client, f"/dashboard/case/{number}").text
    ledger = page[page.index('id="ledger"'):]
    cells = re.findall(r"<td>([^<]*)</td>", ledger)
    for label in ("接收", "分派", "转办", "接单", "开始办理", "改类", "办结", "重新办理", "群众", "系统", "陈镇长（组长）",
                  "交给：周干事", "已到现场查看", "另一盏也不亮", "待接单 → 已转办", "已办结 → 重新办理"):
        assert label in cells or any(label in cell for cell in cells), label
    for raw in ("receive", "assign", "start", "reclassify", "resident", "system", "transferred"):
        assert raw not in cells and not any(raw in cell for cell in cells), raw
    assert "原类别：" in ledger and "新类别：城乡建设" in ledger


def test_the_index_gives_each_cadre_the_three_rates(client, runtime, dashboard_world):
    with runtime.Session() as session:
        farm = session.get(Cadre, session.scalar(select(Case.owner_id).where(
            Case.number == dashboard_world["cases"]["D"])))
    login(client, dashboard_world["phones"]["leader"])
    page = get(client, "/dashboard/?period=365d").text
    table = page[page.index('id="cadres"'):page.index("</table>", page.index('id="cadres"'))]
    rows = {cells[0]: cells[1:] for cells in (re.findall(r"<td[^>]*>([^<]*)</td>", row)
                                              for row in table.split("<tr>")) if cells}
    # C (reopened, past its limit) and D (confirmed after a reopening): both answered in time, one
    # resolved, one satisfied of the two that got a verdict.
    assert rows[farm.name][1:6] == ["2", "100%", "50%", "50%", "1"]
    assert dashboard_world["phones"]["leader"] not in table  # names and positions, no phones
