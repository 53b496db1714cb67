"""Bob, a police liaison officer, logs in on his phone for the first time: after his password
Parley asks him to set up an authenticator app; he scans (here: reads) the key, types the
code, keeps his recovery codes, and reaches the desk. The next time, it asks for the code."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, offline_tiles
from tests.support.accounts import totp_code
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_a_police_officer_sets_up_two_factor_authentication_on_his_phone(
        asgi_live_server, browser, bob, screenshot):
    base = asgi_live_server
    context = browser.new_context(viewport=PHONE)
    offline_tiles(context, base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up two-factor authentication")
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator(".otp-secret").text_content()
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "two-factor-setup-phone")

    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(f"{base}/desk/")

    # Logged out and back in: now the code is asked for.
    page.get_by_role("button", name="Menu").click()  # a phone's header folds the links
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    # The page first checks that nothing waits to be sent, then logs out: to the login page.
    page.wait_for_url(f"{base}/accounts/login/")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_label("Code").fill(totp_code(bob))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{base}/desk/")
    assert errors == []  # no Content-Security-Policy violation, no script error
    context.close()
