"""The guided tour, end to end in headless Chromium (Debian's package) against a running demo.

Screenshots go to ``tests/screenshots/``; with ``UPDATE_README_SCREENSHOT=1`` the final one also
replaces ``docs/simulator.png``. ``SIMULATOR_URL`` runs the tour against a demo you started yourself.
"""
import os
import shutil
from pathlib import Path

import pytest

from tests.chromium import needs_chromium, start_chromium
from tests.demo_process import ROOT, start_demo, stop_demo

SHOTS = ROOT / "tests" / "screenshots"
TOUR_SECONDS = 45

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def simulator_url(tmp_path_factory):
    """The simulator of a fresh demo (or of ``SIMULATOR_URL``)."""
    if os.environ.get("SIMULATOR_URL"):
        yield os.environ["SIMULATOR_URL"]
        return
    demo, url = start_demo(tmp_path_factory.mktemp("demo") / "instance")
    yield url
    stop_demo(demo)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium driven by the system's chromedriver: nothing is downloaded."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"), "--window-size=1480,860", "--lang=zh-CN")
    yield driver
    driver.quit()


def _pane_texts(driver) -> list[dict]:
    """Each open pane: persona, role, and the texts of its rows by kind."""
    return driver.execute_script("""
        const texts = (pane, kind) => [...pane.querySelectorAll(`.row[data-kind=${kind}]`)]
          .map((row) => row.querySelector('.bubble, .card').innerText.trim());
        return [...document.querySelectorAll('.phone')].map((pane) => ({
          name: pane.dataset.name, role: pane.dataset.role, openid: pane.dataset.openid,
          sent: texts(pane, 'sent'), reply: texts(pane, 'reply'), push: texts(pane, 'push'),
          images: pane.querySelectorAll('.row[data-kind=sent] img').length,
          errors: [...pane.querySelectorAll('[data-kind=error]')].map((r) => r.innerText),
        }));""")


def _shoot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _play_tour(driver, url: str) -> None:
    """Open the page, press the tour button and wait for the story to finish, screenshotting steps."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#persona optgroup"))
    first = driver.find_element(By.ID, "first-steps")  # the first screen says what to do first
    assert first.is_displayed() and "▶ 导览" in first.text and "新村民" in first.text
    driver.find_element(By.ID, "tour").click()
    seen = set()

    def finished(d):
        step = d.find_element(By.TAG_NAME, "body").get_attribute("data-step") or ""
        if step and step[0] not in seen:  # one screenshot per numbered step, for whoever debugs a failure
            seen.add(step[0])
            _shoot(d, f"tour-step-{len(seen):02d}")
        return d.find_element(By.TAG_NAME, "body").get_attribute("data-tour") in ("done", "failed")

    WebDriverWait(driver, TOUR_SECONDS, poll_frequency=0.3).until(finished)


def test_guided_tour_plays_the_whole_story(browser, simulator_url):
    """Bind by QR, complain, push to the cadre, accept, co-report, resolve, both told, confirm, 周报."""
    _play_tour(browser, simulator_url)
    body = browser.find_element("tag name", "body")
    right = browser.execute_script(
        "return Math.max(...[...document.querySelectorAll('.phone')].map((p) => p.getBoundingClientRect().right))")
    browser.set_window_size(max(900, int(right) + 40), 860)  # the picture holds the phones, not empty page
    final = _shoot(browser, "tour-done")
    if os.environ.get("UPDATE_README_SCREENSHOT"):
        shutil.copy(final, ROOT / "docs" / "simulator.png")
    assert body.get_attribute("data-tour") == "done", body.get_attribute("data-step")
    assert not browser.find_element("id", "first-steps").is_displayed()  # the phones took its place
    number = body.get_attribute("data-case")
    panes = _pane_texts(browser)
    assert all(not p["errors"] for p in panes), panes

    first, second = [p for p in panes if p["role"] == "resident"]
    assert any("已绑定" in r and "上坪村" in r for r in first["reply"])
    assert any(number in r for r in first["reply"])
    assert first["images"] == 1 and any(number in r for r in first["reply"][2:])
    assert any(number in p and "办结" in p for p in first["push"])
    assert any("满意" in s for s in first["sent"]) and number in first["reply"][-1]

    assert any(number in r and "并入" in r for r in second["reply"])
    assert any(number in p and "办结" in p for p in second["push"])

    cadre = next(p for p in panes if p["role"] != "resident" and any(number in x for x in p["push"]))
    assert any(f"接单 {number}" in s for s in cadre["sent"]) and any("已接单" in r for r in cadre["reply"])
    assert any(s.startswith(f"办结 {number}") for s in cadre["sent"])

    leader = next(p for p in panes if p["role"] == "leader" and p["name"] == "陈组长")
    assert leader["sent"][-1] == "周报" and leader["reply"], "the leader's 周报 gets an answer"
