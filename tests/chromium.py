"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, nothing downloaded.

Without them the browser tests are skipped with a visible reason; under REQUIRE_BROWSER=1 (CI) the run
stops at once instead (tests/conftest.py).
"""
import os
from pathlib import Path

import pytest

from tests.servers import CHROMIUM_MISSING, chromium

CHROMIUM, CHROMEDRIVER = chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason=CHROMIUM_MISSING)
# Without the background-networking flags Chromium keeps dialling Google, which this network refuses.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


def start_chromium(profile: Path, *flags: str, prefs: dict | None = None):
    """A headless Chromium with a fresh profile in ``profile`` and any extra ``flags``."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
