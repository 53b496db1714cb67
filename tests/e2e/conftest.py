"""Browser tests: pytest-playwright driving Debian's Chromium against a live ASGI server.

Run them in their own pytest process (``pytest -m e2e tests/e2e``): Playwright's sync API
leaves an event loop running that would break pytest-asyncio tests in the same process.
"""

import os
from pathlib import Path

import pytest

#: Not test-results/: pytest-playwright empties that folder at the start of every session.
SCREENSHOTS = Path(os.environ.get(
    "PARLEY_SCREENSHOTS",
    Path(__file__).resolve().parents[2] / "var" / "test-reports" / "screenshots",
))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_in_sync_browser_tests():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code. Only for the browser tests, never for the app.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Phones first: every page is tried at a phone's width."""
    return {**browser_context_args, "viewport": PHONE}


def offline_tiles(context_or_page, base_url: str) -> None:
    """Refuse every request that leaves the test server, as these machines cannot reach
    the tile servers anyway: the maps must work on their grey background."""

    def handle(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            route.abort()

    context_or_page.route("**/*", handle)


def log_in_on_page(page, base_url: str, user, *, password: str | None = None,
                   next_path: str = "/") -> None:
    """Log ``user`` in through the login page as a person would: username and password, then
    (police, city, reviewers) the code their authenticator app shows, computed from the
    device's key (tests/support/accounts.py)."""
    from coordination.accounts.two_factor import must_verify
    from tests.support.accounts import authenticator_of, totp_code
    from tests.support.factories import PASSWORD

    needs_code = must_verify(user)
    if needs_code:
        authenticator_of(user)
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if needs_code:
        page.wait_for_url("**/accounts/two-factor/verify/**")
        page.get_by_label("Code").fill(totp_code(user))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(lambda url: "/accounts/two-factor/" not in url)


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves a full-page PNG under var/test-reports/screenshots/
    (or $PARLEY_SCREENSHOTS), for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def phone_for(asgi_live_server, browser):
    """``phone_for(user, path, before=None, **context_args)`` → a page at ``path`` in the
    user's own browser context on a phone-sized screen, logged in with a session cookie;
    ``before(page)`` runs before the page is opened; ``context_args`` go to Playwright (e.g.
    ``has_touch=True``, or ``viewport=DESKTOP`` for a wide screen). The contexts are closed
    after the test."""
    from django.conf import settings
    from django.test import Client

    from tests.support.accounts import log_in

    contexts = []

    def open_phone(user, path: str, *, before=None, **context_args):
        client = Client()
        log_in(client, user)
        context = browser.new_context(**{"viewport": PHONE, **context_args})
        contexts.append(context)
        offline_tiles(context, asgi_live_server)
        context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME, "url": asgi_live_server,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }])
        page = context.new_page()
        if before:
            before(page)
        page.goto(f"{asgi_live_server}{path}")
        return page

    yield open_phone
    for context in contexts:
        context.close()


#: Every outbox item the page's origin keeps in IndexedDB (static/messaging/device_store.js).
_DEVICE_OUTBOX = """() => new Promise((resolve, reject) => {
  const opening = indexedDB.open("parley");
  opening.onerror = () => reject(opening.error);
  opening.onsuccess = () => {
    const db = opening.result;
    if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve([]); return; }
    const reading = db.transaction("outbox").objectStore("outbox").getAll();
    reading.onsuccess = () => { db.close(); resolve(reading.result); };
    reading.onerror = () => reject(reading.error);
  };
})"""


def device_outbox(page) -> list[dict]:
    """The live channel's outbox as kept on this browser (IndexedDB "parley"), every user's."""
    return page.evaluate(_DEVICE_OUTBOX)
