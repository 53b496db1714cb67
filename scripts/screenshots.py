"""Take the screenshots shown in README.md (run on demand).

    .venv/bin/python scripts/screenshots.py      # writes docs/screenshots/*.png

It builds a scratch SpatiaLite database (var/screenshots.sqlite3, removed first) with the demo
data (``load_demo_data``), takes the demo's "March for Clean Rivers" live with a few messages
and an instruction Alice has not acknowledged yet, serves it with Daphne on a free port, and
photographs Alice's page with Debian's Chromium at a phone's size (390 x 844) and a desk's
(1366 x 900): the first screenful, as she sees it. It also sends the demo's "Save the Main
Library" back with the city's request, answers it as Alice, and photographs the conversation
with the city on Alice's phone. For docs/phones-for-members.md, on Alice's phone: the march's
"Notify me on this phone" (push is on: a VAPID key made for the run), and the march offline, its
banner "Offline since …" and her acknowledgement of the instruction waiting for the network,
and further down two messages she wrote, waiting too. Map tiles are not fetched (grey background).
Not part of the test suite; it never touches var/parley.sqlite3.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from push.keys import generate_private_pem  # noqa: E402 (the repository on the path first)

DATABASE = ROOT / "var" / "screenshots.sqlite3"
OUT = ROOT / "docs" / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
#: What Alice writes on her phone once the network has gone.
WRITTEN_OFFLINE = ("Front of the march at Rich St, all calm.",
                   "East lane is clear for the ambulance.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "DATABASE_URL": f"spatialite:///{DATABASE}", "DEBUG": "true",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "PARLEY_SITE_URL": f"http://127.0.0.1:{port}", "DJANGO_SETTINGS_MODULE": "config.settings",
        "PARLEY_TIME_ZONE": "America/New_York",  # as `make run`'s demo city, Columbus
        # Push on, so that the page offers "Notify me on this phone"; nothing is pushed.
        "PARLEY_VAPID_PRIVATE_KEY": generate_private_pem().decode(),
    })
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603
                   check=True, stdout=subprocess.DEVNULL)


def prepare_story():
    """The demo's river march, live, as Alice finds it: talk, and an instruction for her."""
    from django.utils import timezone

    from coordination.models import User
    from events import services as events
    from events.models import Event
    from messaging import services as messaging

    people = {user.username: user for user in User.objects.filter(
        username__in=("alice", "bob", "carol"))}
    march = Event.objects.get(title="March for Clean Rivers")
    # The story is today: the march starts within the hour (it may go live from
    # PARLEY_LIVE_WINDOW_HOURS before its start).
    start = timezone.now() + dt.timedelta(minutes=30)
    Event.objects.filter(pk=march.pk).update(starts_at=start,
                                             ends_at=start + dt.timedelta(hours=3))
    march.refresh_from_db()
    march = events.transition_event(march, to="live", actor=people["carol"])
    for sender, kind, body in (
        ("carol", "message", "Good morning all. The unit is on the channel until dispersal."),
        ("alice", "message", "Stewards are at the assembly point, about 900 people so far."),
        ("bob", "message", "Thanks. Traffic on Broad St is held from 10:20."),
        ("bob", "instruction", "Please keep the route's east lane free for an ambulance "
                               "coming through at Rich St."),
    ):
        messaging.send_message(event=march, sender=people[sender], channel="all", kind=kind,
                               body=body, client_id=str(uuid.uuid4()))
    return march, people["alice"]


def prepare_review():
    """The demo's library rally, sent back by the city and answered by Alice."""
    from coordination.models import User
    from events import services as events
    from events.models import Event

    alice, carol = (User.objects.get(username=name) for name in ("alice", "carol"))
    library = Event.objects.get(title="Save the Main Library")
    events.transition_event(library, to="under_review", actor=carol)
    events.transition_event(
        library, to="changes_requested", actor=carol,
        note="Please move the assembly point off the library steps: they are the building's "
             "fire exit and must stay clear. The north lawn would work.")
    events.transition_event(
        library, to="submitted", actor=alice,
        note="Moved the assembly point to the north lawn. Two stewards will keep the steps "
             "clear all afternoon.")
    events.transition_event(library, to="under_review", actor=carol)
    return library


def session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def wait_until_serving(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("Daphne stopped before serving.")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)  # a server starting up: nothing to wait on but its port
    raise SystemExit("Daphne did not answer within 30 s.")


def logged_in_page(browser, base_url: str, cookie: str, viewport: dict):
    """A page of a new context at ``viewport``, logged in with ``cookie``, that fetches
    nothing but this site (no map tiles)."""
    from django.conf import settings

    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(base_url) else route.abort())
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                          "url": base_url}])
    return context.new_page()


def photograph_notify_toggle(browser, base_url: str, path: str, cookie: str) -> None:
    """The march on Alice's phone, scrolled to "Notify me on this phone", before she taps it
    (headless Chromium has no push service to subscribe with)."""
    from playwright.sync_api import expect

    page = logged_in_page(browser, base_url, cookie, SIZES["phone"])
    page.goto(f"{base_url}{path}")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    button = page.locator("#push-button")
    expect(button).to_have_text("Notify me on this phone")
    page.evaluate("document.fonts.ready")
    # The toggle at the bottom of the screen, the channel's composer above it.
    page.locator("#push-toggle").evaluate("(node) => node.scrollIntoView({block: 'end'})")
    page.screenshot(path=str(OUT / "phone-notify-toggle.png"))
    page.context.close()


def photograph_offline(browser, base_url: str, path: str, cookie: str) -> None:
    """The march on Alice's phone once the network has gone: the banner, two messages waiting
    for the network and her acknowledgement of Bob's instruction waiting too."""
    from playwright.sync_api import expect

    page = logged_in_page(browser, base_url, cookie, SIZES["phone"])
    page.goto(f"{base_url}{path}")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    # The service worker in charge of the page, so that the page is kept for offline.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.context.set_offline(True)
    expect(page.locator("#offline-banner")).to_contain_text("Offline since")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    composer = page.locator("#channel-body")
    for body in WRITTEN_OFFLINE:
        composer.fill(body)
        composer.press("Enter")
        expect(composer).to_have_value("")
    page.locator("#channel-pending").get_by_role("button", name="Acknowledge").click()
    waiting = page.locator("#channel-log-all .channel-outbox > li")
    expect(waiting).to_have_count(len(WRITTEN_OFFLINE))
    for item in waiting.all():
        expect(item).to_contain_text("Waiting for network")
    expect(page.locator("#channel-panel")).to_have_attribute(
        "data-outbox-kept", str(len(WRITTEN_OFFLINE) + 1))
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(OUT / "phone-offline.png"))
    # Further down, what she wrote, waiting above the composer.
    page.locator("#channel-log-all .channel-outbox").evaluate(
        "(node) => node.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(OUT / "phone-offline-waiting.png"))
    page.context.close()


def photograph(base_url: str, path: str, cookie: str, conversation_path: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for name, viewport in SIZES.items():
            page = logged_in_page(browser, base_url, cookie, viewport)
            page.goto(f"{base_url}{path}")
            expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
            expect(page.locator("#channel-pending .pending-item")).to_have_count(1)
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(OUT / f"operations-{name}.png"))
            page.context.close()

        page = logged_in_page(browser, base_url, cookie, SIZES["phone"])
        page.goto(f"{base_url}{conversation_path}")
        conversation = page.locator("#review-conversation")
        expect(conversation.locator(".conversation-entry")).to_have_count(2)
        page.evaluate("document.fonts.ready")
        conversation.screenshot(path=str(OUT / "review-conversation-phone.png"))
        page.context.close()

        photograph_notify_toggle(browser, base_url, path, cookie)
        photograph_offline(browser, base_url, path, cookie)
        browser.close()


def main() -> None:
    port = free_port()
    env = environment(port)
    DATABASE.unlink(missing_ok=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo_data")
    os.environ.update(env)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread
    import django

    django.setup()
    march, alice = prepare_story()
    library = prepare_review()
    cookie = session_cookie(alice)
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port),
         "config.asgi:application"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(base_url, server)
        photograph(base_url, march.get_absolute_url(), cookie, library.get_absolute_url())
    finally:
        server.terminate()
        server.wait(timeout=10)
    written = [f"docs/screenshots/operations-{name}.png" for name in SIZES]
    written += [f"docs/screenshots/{name}.png"
                for name in ("review-conversation-phone", "phone-notify-toggle", "phone-offline",
                              "phone-offline-waiting")]
    print(f"Wrote {', '.join(written)}")


if __name__ == "__main__":
    main()
