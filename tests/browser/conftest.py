"""One headless Debian Chromium per test session, driven by Playwright's sync API."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium) for the browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread while the browser is
    # open, and the browser tests use the ORM next to it: Django's async-safety check is lifted for
    # them only (browser tests run last, see tests/conftest.py, and the variable goes with the browser).
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=20_000)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh context per test; console errors and uncaught exceptions are collected in page.errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda message: tab.errors.append(f"console {message.type}: {message.text}")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def in_process_tasks(settings):
    """The live server runs imports on its own task thread, whatever REDIS_URL says: a browser test
    drives the pages, not the broker (the real-worker path has its own tests)."""
    settings.CELERY_BROKER_URL = None


def log_in(page, base: str, username: str) -> None:
    """Sign in through the login form (not the header's language switch), as a user does."""
    from tests.factories import PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:not(.language-switcher) button[type=submit]")
    page.wait_for_load_state()


def open_with_charts(page, url: str) -> None:
    """Open a page and wait until charts.js says every chart on it is drawn."""
    page.goto(url)
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined", timeout=15_000)
