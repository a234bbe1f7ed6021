"""Browser tests: Playwright drives a real Chromium (Debian's) against a live Clientela server.

Without a browser they skip, loudly, unless CI is set: in CI a missing browser is a failure."""

import os
import shutil
import warnings

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_CANDIDATES = [
    os.environ.get("CLIENTELA_CHROMIUM", ""),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
]
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if candidate and shutil.which(candidate):
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    executable = find_chromium()
    if executable is None:
        message = "NO CHROMIUM FOUND: browser tests cannot run (install Debian's chromium)."
        if os.environ.get("CI"):
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages on the live server; `new_page(user)` logs `user` in first."""
    contexts = []

    def open_page(user=None, language="en"):
        context = browser.new_context(base_url=live_server.url, locale=language)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            page.goto("/accounts/login/")
            page.fill("input[name=username]", user.email)
            page.fill("input[name=password]", "s3cret-Pass!")
            page.click("button[type=submit]")
            page.wait_for_url("**/contacts/**")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def logged_in_page(new_page, user):
    """A page with `user` (a CRM user called Ana García) logged in, in English."""
    user.language = "en"
    user.save(update_fields=["language"])
    return new_page(user)
