"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium and chromedriver."""
import threading
import time

import pytest
from openpyxl import load_workbook
from werkzeug.serving import make_server

from tests.chromium import needs_chromium, start_chromium
from tests.case_factory import DASHBOARD_PASSWORD as PASSWORD

pytestmark = [needs_chromium, pytest.mark.dashboard]


@pytest.fixture
def server(app):
    """The app served on a free local port in a thread."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium with a fresh profile, downloading into ``tmp_path / 'downloads'``."""
    driver = start_chromium(tmp_path / "profile", prefs={"download.default_directory": str(tmp_path / "downloads"),
                                                         "download.prompt_for_download": False})
    yield driver
    driver.quit()


def log_in(driver, base: str, phone: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/dashboard/")
    assert "/dashboard/login" in driver.current_url
    driver.find_element(By.ID, "phone").send_keys(phone)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "submit").click()
    wait_for_page(driver, lambda d: "/dashboard/login" not in d.current_url)


def wait_for_page(driver, condition) -> None:
    """Wait for a navigation to finish, so no element of the old page is read (stale)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(condition)


def test_login_scope_and_export_in_chromium(browser, server, dashboard_world, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    log_in(browser, server, dashboard_world["phones"]["leader2"])
    assert "郑副镇长" in browser.find_element(By.ID, "me").text
    Select(browser.find_element(By.ID, "period")).select_by_value("365d")
    browser.find_element(By.ID, "apply").click()
    wait_for_page(browser, lambda d: "period=365d" in d.current_url)
    rates = browser.find_element(By.ID, "rates").text
    assert "东风村" in rates and "新高园村" not in rates
    browser.get(f"{server}/dashboard/case/{dashboard_world['cases']['A']}")  # another team's case
    assert "Not Found" in browser.page_source
    browser.get(f"{server}/dashboard/?period=365d")
    browser.find_element(By.ID, "export-xlsx").click()
    downloads = tmp_path / "downloads"
    deadline = time.monotonic() + 15
    while not list(downloads.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.1)
    [saved] = list(downloads.glob("*.xlsx"))
    header, *rows = list(load_workbook(saved).active.values)
    assert header[0] == "案件编号" and [row[0] for row in rows] == [dashboard_world["cases"]["H"]]
    browser.find_element(By.ID, "logout").click()
    browser.get(f"{server}/dashboard/")
    assert "/dashboard/login" in browser.current_url
