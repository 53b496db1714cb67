"""Parley installs as an app: Chromium finds its manifest without errors and has nothing
against installing it (the criteria it checks: a manifest with a name, icons of 192 and 512
pixels, a start URL, standalone display, a service worker), on the page a person sees
before logging in and on the pages after."""

import pytest

pytestmark = pytest.mark.e2e


def installability(page) -> tuple[list, dict]:
    """Chromium's own answer (DevTools protocol): why it would not install this page's app
    (nothing, when it would), and how it read the manifest."""
    session = page.context.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    manifest = session.send("Page.getAppManifest")
    return errors, manifest


@pytest.fixture
def own_profile(browser_type, browser_type_launch_args, tmp_path):
    """A page in a browser with a profile of its own, as a phone's: Playwright's usual
    contexts are incognito ones, where Chromium installs nothing ("in-incognito")."""
    context = browser_type.launch_persistent_context(tmp_path / "profile",
                                                     **browser_type_launch_args)
    yield context.pages[0] if context.pages else context.new_page()
    context.close()


def test_the_login_page_offers_parley_as_an_app(own_profile, asgi_live_server):
    page = own_profile
    page.goto(f"{asgi_live_server}/accounts/login/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                           timeout=15_000)
    errors, manifest = installability(page)
    assert errors == []
    assert manifest["url"] == f"{asgi_live_server}/manifest.webmanifest"
    assert manifest["errors"] == []
    assert '"display": "standalone"' in manifest["data"]


def test_a_signed_in_page_offers_it_too_in_the_readers_language(alice, phone_for):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    page = phone_for(alice, "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                           timeout=15_000)
    errors, manifest = installability(page)
    # Its context is an incognito one (see own_profile): nothing else stands in the way.
    assert [error["errorId"] for error in errors] in ([], ["in-incognito"])
    assert manifest["errors"] == []
    assert '"lang": "fr"' in manifest["data"]
