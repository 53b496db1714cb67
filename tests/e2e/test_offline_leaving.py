"""Leaving a demonstration's phone pages with messages still unsent. Alice, offline, presses
"Log out": nothing is lost and she is told to log out once the network is back, with how many
are not yet sent. Online, what is left unsent is asked about before it is lost. Bob, removed
from the demonstration while his phone holds an unsent message, keeps nothing of its channel
on the phone, whether his page is open at the time or he opens Parley later; re-added, his old
message is never posted."""

import pytest
from playwright.sync_api import Page, expect

from events import services
from messaging.models import Message
from tests.e2e.conftest import DESKTOP, device_outbox
from tests.e2e.test_offline_outbox import BlockedSocket, channel, go_live, outbox, write
from tests.e2e.test_offline_pack import CONTROLLED, kept, no_cache_left, remove_through_the_api
from tests.support.review import say

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_demonstration(agreed_event, bob, carol):
    """Alice's demonstration, live, with an instruction from Bob waiting for her."""
    event = services.transition_event(agreed_event, to="live", actor=carol)
    say(event, carol, "Good morning, the square is ready for you.")
    say(event, bob, "Hold at the bridge until we open the road.", kind="instruction")
    return event

#: Every record of the live channel's IndexedDB stores (outbox and history) for `event`,
#: as "store:user", waiting up to `ms` until there are none.
RECORDS_OF = """async ([event, ms]) => {
  const read = () => new Promise((resolve) => {
    const opening = indexedDB.open("parley");
    opening.onupgradeneeded = () => opening.transaction.abort();
    opening.onerror = () => resolve([]);
    opening.onsuccess = () => {
      const db = opening.result;
      const found = [];
      const names = ["outbox", "history"].filter((name) => db.objectStoreNames.contains(name));
      if (!names.length) { db.close(); resolve(found); return; }
      const tx = db.transaction(names);
      names.forEach((name) => {
        tx.objectStore(name).getAll().onsuccess = (e) => {
          e.target.result.filter((r) => String(r.event) === String(event))
            .forEach((r) => found.push(name + ":" + r.user));
        };
      });
      tx.oncomplete = () => { db.close(); resolve(found); };
    };
  });
  const end = Date.now() + ms;
  for (;;) {
    const found = await read();
    if (!found.length || Date.now() > end) { return found; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}"""


def records_of(page: Page, event, ms: int = 0) -> list[str]:
    return page.evaluate(RECORDS_OF, [event.pk, ms])


def press_log_out(page: Page, name: str = "Log out") -> None:
    if page.locator(".account-menu[open]").count() == 0:
        page.locator(".account-menu summary").click()
    page.locator("form[data-logout]").get_by_role("button", name=name).click()


def test_logging_out_offline_keeps_what_is_unsent_and_says_to_log_out_when_back(
        phone_for, live_demonstration, alice):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/", viewport=DESKTOP)
    go_live(page)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{live_demonstration.pk}/")
    page.context.set_offline(True)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    write(page, "Stewards at the north gate")
    write(page, "We are moving off now")
    page.locator("#channel-pending").get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "3")

    press_log_out(page)
    warning = page.locator("form[data-logout] [role=alert]")
    expect(warning).to_contain_text("You are offline")
    expect(warning).to_contain_text("log out when the network is back")
    expect(warning).to_contain_text("2 messages and 1 acknowledgement are not sent yet")
    assert "/events/" in page.url
    assert len(device_outbox(page)) == 3
    assert page.evaluate("async () => (await caches.keys()).length") > 0

    # Back online: everything goes, and then logging out is as usual.
    page.context.set_offline(False)
    go_live(page)
    expect(outbox(page)).to_have_count(0)
    assert Message.objects.filter(sender=alice, body="We are moving off now").count() == 1
    press_log_out(page)
    page.wait_for_url("**/accounts/login/**")


def test_logging_out_with_messages_that_cannot_go_asks_before_they_are_lost(
        phone_for, live_demonstration, alice):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/", viewport=DESKTOP)
    go_live(page)
    BlockedSocket(page.context)
    page.reload()  # its live channel cannot connect now
    expect(page.locator("#channel-status")).to_contain_text("reconnecting")
    write(page, "Stewards at the north gate")
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "1")

    press_log_out(page)
    warning = page.locator("form[data-logout] [role=alert]")
    expect(warning).to_contain_text("1 message is not sent yet and will be lost")
    assert "/events/" in page.url
    assert len(device_outbox(page)) == 1
    page.locator("form[data-logout]").get_by_role("button", name="Log out anyway").click()
    page.wait_for_url("**/accounts/login/**")
    assert not Message.objects.filter(body="Stewards at the north gate").exists()


def test_logging_out_with_nothing_unsent_goes_at_once(phone_for, live_demonstration, alice):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/", viewport=DESKTOP)
    go_live(page)
    press_log_out(page)
    page.wait_for_url("**/accounts/login/**")


def bob_writes_offline(page: Page, event) -> None:
    go_live(page)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{event.pk}/")
    expect(page.locator("#channel-log-all")).to_have_attribute("data-kept-seq", "2")
    page.context.set_offline(True)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    write(page, "Officers at the bridge")
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "1")
    assert sorted(set(records_of(page, event))) == [f"history:{page_user(page)}",
                                                    f"outbox:{page_user(page)}"]


def page_user(page: Page) -> str:
    return page.locator('meta[name="parley-user"]').get_attribute("content")


def readded_bob_sends_nothing_old(page: Page, event, bob, carol, base_url: str) -> None:
    services.add_member(event, username="bob", actor=carol)
    page.goto(f"{base_url}/events/{event.pk}/")
    go_live(page)
    expect(channel(page)).to_have_count(2)
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox", "0")
    assert device_outbox(page) == []
    assert not Message.objects.filter(body="Officers at the bridge").exists()


def test_removed_while_his_page_is_open_bob_keeps_nothing_of_its_channel(
        phone_for, asgi_live_server, live_demonstration, bob, carol):
    event = live_demonstration
    page = phone_for(bob, f"/events/{event.pk}/")
    bob_writes_offline(page, event)

    remove_through_the_api(asgi_live_server, event, "bob", carol)
    page.context.set_offline(False)
    expect(page.locator("#channel-panel")).to_contain_text("no longer a member", timeout=20_000)
    no_cache_left(page, f"-e{event.pk}")
    assert records_of(page, event, ms=10_000) == []
    readded_bob_sends_nothing_old(page, event, bob, carol, asgi_live_server)


def test_removed_while_his_phone_was_away_bob_keeps_nothing_once_he_opens_parley(
        phone_for, asgi_live_server, live_demonstration, bob, carol):
    event = live_demonstration
    page = phone_for(bob, f"/events/{event.pk}/")
    bob_writes_offline(page, event)
    context = page.context
    page.close()

    services.remove_member(event, username="bob", actor=carol)
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/")  # any page, online: the worker syncs
    no_cache_left(page, f"-e{event.pk}")
    assert records_of(page, event, ms=10_000) == []
    readded_bob_sends_nothing_old(page, event, bob, carol, asgi_live_server)


def test_offline_a_page_not_kept_says_so_and_links_the_demonstrations_kept(
        phone_for, asgi_live_server, live_demonstration, alice):
    event = live_demonstration
    page = phone_for(alice, f"/events/{event.pk}/")
    go_live(page)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    kept(page, f"/events/{event.pk}/")
    assert kept(page, "/offline/") == f"parley-u{alice.pk}-pages"

    page.context.set_offline(True)
    page.goto(f"{asgi_live_server}/")  # the installed app's start page: not kept
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
    expect(page.locator("main")).to_contain_text(
        "You are offline and this page is not kept on this phone.")
    kept_list = page.locator("#offline-kept a")
    expect(kept_list).to_have_count(1)
    expect(kept_list).to_contain_text(event.title)
    expect(page.locator("#offline-banner")).to_contain_text("Offline since")
    # It leads to the kept copy (served offline: tests/e2e/test_offline_pack.py).
    expect(kept_list).to_have_attribute("href", f"/events/{event.pk}/")

    page.goto(f"{asgi_live_server}/map/")  # the city-wide map, not kept either
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")

    # Back online, the page asked for is loaded.
    page.context.set_offline(False)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("You are offline",
                                                                  timeout=20_000)
