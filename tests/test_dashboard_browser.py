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
    assert "没有找到这个页面" in browser.page_source
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


def street_photo() -> bytes:
    """A drawn 'photo' of a village road with a broken street lamp (JPEG)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 480, 360), fill=(110, 150, 80))
    draw.polygon([(190, 200), (290, 200), (420, 360), (60, 360)], fill=(120, 115, 110))
    draw.line([(240, 220), (240, 360)], fill=(240, 230, 120), width=4)
    draw.rectangle((360, 80, 368, 300), fill=(60, 60, 60))
    draw.line([(364, 84), (320, 70)], fill=(60, 60, 60), width=6)
    draw.ellipse((300, 62, 330, 84), fill=(90, 90, 90), outline=(30, 30, 30))
    draw.line([(302, 64), (328, 82)], fill=(20, 20, 20), width=2)  # the cracked lamp
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_case_list_and_case_page_with_a_photo_in_chromium(browser, server, app, runtime, dashboard_world, tmp_path):
    import os
    import re
    from datetime import datetime, timezone

    from selenium.webdriver.common.by import By
    from sqlalchemy import select

    from bot.media.store import media_store
    from models import Case, MediaFile
    from tests.dialog import Chat

    from tests.case_factory import number_cases_from

    number_cases_from(runtime, 90000)  # clear of the factory's numbers
    chat = Chat(runtime, datetime.now(timezone.utc))
    receipt = chat.say("o_ah", "村口的路灯坏了好几天，晚上出门很不安全")
    chat.send("o_ah", "image", media_id="MEDIA_PHOTO_1")
    chat.send("o_ah", "location", latitude=23.42, longitude=115.84, label="新高园村村口")
    chat.say("o_chen", "接单 " + re.search(r"[A-Z]{2}-\d{4}-\d{5}", receipt).group(0))
    photo = street_photo()
    with runtime.Session.begin() as session:
        case = session.scalars(select(Case).order_by(Case.id.desc())).first()
        number = case.number
        row = session.scalar(select(MediaFile).where(MediaFile.case_id == case.id))
        row.state, row.key, row.content_type, row.size = "stored", f"{number}/{row.id}-photo.jpg", "image/jpeg", len(photo)
        media_store(runtime).put(row.key, photo, "image/jpeg")
    log_in(browser, server, dashboard_world["phones"]["leader"])
    browser.get(f"{server}/dashboard/cases?q=路灯")
    links = browser.find_elements(By.CSS_SELECTOR, "#cases a")
    assert [link.text for link in links] == [number]
    links[0].click()
    wait_for_page(browser, lambda d: f"/dashboard/case/{number}" in d.current_url)
    image = browser.find_element(By.CSS_SELECTOR, "#attachments img.photo")
    wait_for_page(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image))
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 480
    location = browser.find_element(By.CSS_SELECTOR, "#attachments .location")
    assert "23.42000, 115.84000" in location.text
    assert "uri.amap.com" in location.find_element(By.TAG_NAME, "a").get_attribute("href")
    ledger = browser.find_element(By.ID, "ledger").text
    assert "接收" in ledger and "分派" in ledger and "补充" in ledger
    browser.set_window_size(1100, 1400)
    shot = os.environ.get("DASHBOARD_SCREENSHOT") or str(tmp_path / "case.png")
    assert browser.save_screenshot(shot)
