"""On the day, Alice's phone loses the network in the middle of her live demonstration. She
writes three messages and acknowledges Bob's instruction anyway: the page says each is waiting
for the network, keeps them on the phone (IndexedDB) through a reload, closing the page and
restarting the browser, and sends each exactly once, in the order written, when the network
comes back. The messages she had read stay readable offline. Another person logging in on the
same browser neither sees nor sends what she left there."""

import re
import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from events import services
from messaging.models import Acknowledgement, Message
from tests.e2e.conftest import PHONE, device_outbox, offline_tiles
from tests.support.review import say

pytestmark = pytest.mark.e2e

#: Reconnecting after the network returns may wait out one back-off step (at most ~15 s).
RECONNECT_MS = 20_000
WRITTEN = ["Stewards at the north gate", "We are moving off now", "Front of the march at 5th"]


@pytest.fixture
def live_demonstration(agreed_event, bob, carol):
    """Alice's demonstration, live, with an instruction from Bob waiting for her."""
    event = services.transition_event(agreed_event, to="live", actor=carol)
    say(event, carol, "Good morning, the square is ready for you.")
    say(event, bob, "Hold at the bridge until we open the road.", kind="instruction")
    say(event, bob, "Officials: the side street stays closed.", channel="officials")
    return event


@pytest.fixture
def instruction(live_demonstration):
    return Message.objects.get(kind="instruction")


class BlockedSocket:
    """The network is there for pages but the live channel's WebSocket cannot connect (a
    captive portal, a proxy): what the page does when its socket cannot connect, without
    needing the page itself to be served offline. ``blocked = False`` lets it through."""

    def __init__(self, context: BrowserContext):
        self.blocked = True
        context.route_web_socket(re.compile(r"/ws/"), self.handle)

    def handle(self, ws) -> None:
        if self.blocked:
            ws.close(code=4000, reason="no network")
        else:
            ws.connect_to_server()


def channel(page: Page, name: str = "all"):
    return page.locator(f"#channel-log-{name} .channel-messages > li.msg")


def outbox(page: Page, name: str = "all"):
    return page.locator(f"#channel-log-{name} .channel-outbox > li")


def write(page: Page, body: str) -> None:
    page.locator("#channel-body").fill(body)
    page.locator("#channel-body").press("Enter")
    expect(page.locator("#channel-body")).to_have_value("")


def reconnect_now(page: Page) -> None:
    """Tap "Reconnect now" if it is there (between two attempts; during one it is hidden)."""
    page.evaluate("""() => {
      const button = document.querySelector("#channel-status .channel-reconnect");
      if (!button.hidden) { button.click(); }
    }""")


def go_live(page: Page) -> None:
    expect(page.locator("#channel-panel")).to_have_attribute(
        "data-connection", "live", timeout=RECONNECT_MS)


def write_offline_and_acknowledge(page: Page, instruction: Message) -> None:
    """Offline, three messages and the acknowledgement of ``instruction``: all waiting for
    the network, all kept on the device."""
    page.context.set_offline(True)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    for body in WRITTEN:
        write(page, body)
    page.locator("#channel-pending").get_by_role("button", name="Acknowledge").click()
    assert_waiting(page, instruction)


def assert_waiting(page: Page, instruction: Message) -> None:
    expect(outbox(page)).to_have_count(3)
    expect(outbox(page).locator(".msg-body")).to_have_text(WRITTEN)
    for item in outbox(page).all():
        expect(item).to_have_attribute("data-state", "waiting")
        expect(item).to_contain_text("Waiting for network")
    acknowledged = page.locator(f"#msg-{instruction.pk} .msg-ack-button")
    expect(acknowledged).to_have_text("Acknowledged: waiting for network")
    expect(acknowledged).to_be_disabled()
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "4")


def assert_arrived_once_in_order(user, instruction: Message) -> None:
    mine = Message.objects.filter(sender=user).order_by("seq")
    assert [message.body for message in mine] == WRITTEN
    assert Message.objects.filter(body__in=WRITTEN).count() == 3
    assert Acknowledgement.objects.filter(message=instruction, user=user).count() == 1


def assert_all_shown_once(page: Page, instruction: Message) -> None:
    expect(outbox(page)).to_have_count(0)
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox", "0")
    for body in WRITTEN:
        expect(channel(page).filter(has_text=body)).to_have_count(1)
    expect(page.locator(f"#msg-{instruction.pk} .msg-ack")).to_have_text(["Alice Martin (you)"])
    expect(page.locator("#channel-pending")).to_be_hidden()


def test_what_alice_writes_offline_survives_a_reload_and_reopening_and_arrives_once_in_order(
    phone_for, live_demonstration, instruction, alice
):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    go_live(page)
    expect(channel(page)).to_have_count(2)
    # What she has read is kept on the phone, as it is shown.
    expect(page.locator("#channel-log-all")).to_have_attribute("data-kept-seq", "2")

    write_offline_and_acknowledge(page, instruction)
    # Closed and opened again without a working connection: still there, still waiting.
    socket = BlockedSocket(page.context)
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    assert_waiting(page, instruction)
    # The messages she had read, from the phone, marked as such.
    expect(page.locator("#channel-log-all .channel-saved-note")).to_contain_text(
        "messages kept on this device")
    expect(channel(page).locator(".msg-body")).to_have_text([
        "Good morning, the square is ready for you.", "Hold at the bridge until we open the road."])
    expect(channel(page).first).to_have_class(re.compile(r"\bmsg-saved\b"))
    address = page.url
    page.close()
    page = page.context.new_page()
    page.goto(address)
    assert_waiting(page, instruction)
    assert not Message.objects.filter(body__in=WRITTEN).exists()
    assert not Acknowledgement.objects.filter(user=alice).exists()

    # The connection is back: each goes once, in the order written.
    socket.blocked = False
    reconnect_now(page)
    go_live(page)
    assert_all_shown_once(page, instruction)
    expect(page.locator("#channel-log-all .channel-saved-note")).to_have_count(0)
    assert_arrived_once_in_order(alice, instruction)
    assert device_outbox(page) == []
    # A reload online sends nothing again.
    page.reload()
    go_live(page)
    expect(channel(page)).to_have_count(5)
    assert_arrived_once_in_order(alice, instruction)


def session_cookie(user, base_url: str) -> dict:
    """A logged-in session of ``user`` as a cookie that outlives a browser restart."""
    from django.conf import settings
    from django.test import Client

    from tests.support.accounts import log_in

    client = Client()
    log_in(client, user)
    return {"name": settings.SESSION_COOKIE_NAME, "url": base_url,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "expires": time.time() + 3600}


@pytest.fixture
def restartable_browser(browser_type, browser_type_launch_args, tmp_path, asgi_live_server):
    """``start()`` → a browser with its profile on disk (tmp_path), as a phone's browser
    keeps it; closing it and starting again finds the same profile."""
    started = []

    def start() -> BrowserContext:
        context = browser_type.launch_persistent_context(
            str(tmp_path / "profile"), **browser_type_launch_args, viewport=PHONE)
        offline_tiles(context, asgi_live_server)
        started.append(context)
        return context

    yield start
    for context in started:
        context.close()


def test_what_alice_writes_offline_is_sent_once_after_her_browser_restarts(
    restartable_browser, asgi_live_server, live_demonstration, instruction, alice
):
    address = f"{asgi_live_server}/events/{live_demonstration.pk}/"
    browser = restartable_browser()
    browser.add_cookies([session_cookie(alice, asgi_live_server)])
    page = browser.new_page()
    page.goto(address)
    go_live(page)
    write_offline_and_acknowledge(page, instruction)
    browser.close()  # the phone restarts its browser while still offline
    assert not Message.objects.filter(body__in=WRITTEN).exists()

    browser = restartable_browser()  # back, and online
    page = browser.new_page()
    page.goto(address)
    go_live(page)
    assert_all_shown_once(page, instruction)
    assert_arrived_once_in_order(alice, instruction)
    assert device_outbox(page) == []


def test_another_person_on_the_same_browser_neither_sees_nor_sends_what_bob_left(
    phone_for, asgi_live_server, live_demonstration, bob, alice
):
    page = phone_for(bob, f"/events/{live_demonstration.pk}/")
    context = page.context
    go_live(page)
    page.get_by_role("tab", name="Officials only").click()
    expect(channel(page, "officials")).to_have_count(1)
    expect(page.locator("#channel-log-officials")).to_have_attribute("data-kept-seq", "1")
    context.set_offline(True)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    write(page, "Officials: we move the barrier at noon")
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "1")
    page.close()

    # Alice logs in on the same browser; the network is there but the socket cannot connect.
    context.clear_cookies()
    context.add_cookies([session_cookie(alice, asgi_live_server)])
    socket = BlockedSocket(context)
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{asgi_live_server}/events/{live_demonstration.pk}/")
    expect(page.locator("#channel-panel")).to_have_attribute("data-device", "kept")
    expect(page.locator("#channel-status")).to_contain_text("reconnecting")
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox", "0")
    expect(page.locator(".channel-outbox > li")).to_have_count(0)
    expect(page.locator(".msg-saved")).to_have_count(0)  # Bob's saved channels are his
    expect(page.locator("#channel-panel")).not_to_contain_text("barrier")
    expect(page.locator("#channel-panel")).not_to_contain_text("side street")
    # Connected, her page sends nothing of Bob's (it would be stored as hers).
    socket.blocked = False
    reconnect_now(page)
    go_live(page)
    expect(channel(page)).to_have_count(2)
    assert not Message.objects.filter(body__contains="barrier").exists()
    assert [item["user"] for item in device_outbox(page)] == [bob.pk]
    page.close()

    # Bob back on his browser: his message goes, once, as his.
    context.clear_cookies()
    context.add_cookies([session_cookie(bob, asgi_live_server)])
    page = context.new_page()
    page.goto(f"{asgi_live_server}/events/{live_demonstration.pk}/")
    go_live(page)
    page.get_by_role("tab", name="Officials only").click()
    expect(channel(page, "officials").filter(has_text="barrier")).to_have_count(1)
    stored = Message.objects.get(body="Officials: we move the barrier at noon")
    assert (stored.sender, stored.channel.name) == (bob, "officials")
    assert device_outbox(page) == []


def test_an_outbox_the_old_page_left_in_session_storage_is_moved_and_sent_once(
    phone_for, asgi_live_server, live_demonstration, alice
):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    go_live(page)
    key = f"parley.outbox.{live_demonstration.pk}.{alice.pk}"
    client_id = "0b7e4a52-4f0e-4c7e-9a43-6d1f3b2c1a10"
    socket = BlockedSocket(page.context)
    page.evaluate("([key, item]) => sessionStorage.setItem(key, JSON.stringify([item]))", [
        key, {"client_id": client_id, "channel": "all", "kind": "message",
              "body": "Written before the update", "created": 1, "retryAt": 0}])
    page.reload()
    expect(outbox(page)).to_have_count(1)
    expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "1")
    assert page.evaluate("key => sessionStorage.getItem(key)", key) is None
    socket.blocked = False
    reconnect_now(page)
    go_live(page)
    expect(channel(page).filter(has_text="Written before the update")).to_have_count(1)
    expect(outbox(page)).to_have_count(0)
    page.reload()
    go_live(page)
    expect(channel(page)).to_have_count(3)
    assert [str(m.client_id) for m in Message.objects.filter(body="Written before the update")] == [
        client_id]


def test_two_tabs_offline_lose_nothing_and_send_each_message_once(
    phone_for, asgi_live_server, live_demonstration, alice
):
    first = phone_for(alice, f"/events/{live_demonstration.pk}/")
    go_live(first)
    second = first.context.new_page()
    second.goto(first.url)
    go_live(second)
    first.context.set_offline(True)
    for page in (first, second):
        expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    write(first, WRITTEN[0])
    expect(first.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "1")
    write(second, WRITTEN[1])
    expect(second.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "2")
    write(first, WRITTEN[2])
    # Each tab shows what the other wrote, in the order written.
    for page in (first, second):
        expect(outbox(page).locator(".msg-body")).to_have_text(WRITTEN)
        expect(page.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "3")
    first.context.set_offline(False)
    for page in (first, second):
        go_live(page)
        expect(outbox(page)).to_have_count(0)
        for body in WRITTEN:
            expect(channel(page).filter(has_text=body)).to_have_count(1)
    assert [m.body for m in Message.objects.filter(sender=alice).order_by("seq")] == WRITTEN
    assert device_outbox(first) == []


#: The contrast ratio (WCAG 2.x) of an element's words against its own background.
CONTRAST = """(node) => {
  const style = getComputedStyle(node);
  const luminance = (color) => {
    const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(style.color), luminance(style.backgroundColor)]
    .sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}"""


def test_alice_can_read_that_her_acknowledgement_waits_for_the_network(
    phone_for, live_demonstration, instruction, alice
):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    go_live(page)
    write_offline_and_acknowledge(page, instruction)
    for button in (page.locator("#channel-pending .msg-ack-button"),
                   page.locator(f"#msg-{instruction.pk} .msg-ack-button")):
        expect(button).to_have_text("Acknowledged: waiting for network")
        assert button.evaluate(CONTRAST) >= 4.5


def test_what_alice_wrote_offline_reads_as_waiting_not_as_an_error(
    phone_for, live_demonstration, instruction, alice
):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    go_live(page)
    written = channel(page).first.locator(".msg-body")
    expect(written).to_be_visible()
    write_offline_and_acknowledge(page, instruction)
    # Written as the channel's messages are, not in the red of what went wrong.
    style = "(node) => [getComputedStyle(node).color, getComputedStyle(node).fontWeight]"
    assert outbox(page).first.locator(".msg-body").evaluate(style) == written.evaluate(style)


def test_without_indexeddb_the_page_says_so_once_and_still_sends(
    phone_for, live_demonstration, alice
):
    def no_indexeddb(page: Page) -> None:  # as in some browsers' private modes
        page.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")

    page = phone_for(alice, f"/events/{live_demonstration.pk}/", before=no_indexeddb)
    go_live(page)
    expect(page.locator("#channel-panel")).to_have_attribute("data-device", "memory")
    expect(page.locator(".channel-device-note")).to_have_count(1)
    expect(page.locator(".channel-device-note")).to_contain_text(
        "lost if the page is closed")
    page.context.set_offline(True)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    write(page, WRITTEN[0])
    expect(outbox(page)).to_have_attribute("data-state", "waiting")
    page.context.set_offline(False)
    go_live(page)
    expect(channel(page).filter(has_text=WRITTEN[0])).to_have_count(1)
    expect(page.locator(".channel-device-note")).to_have_count(1)
    assert Message.objects.filter(body=WRITTEN[0]).count() == 1


def test_offline_all_along_the_page_comes_from_the_phone_and_everything_goes_once_when_back(
    phone_for, live_demonstration, instruction, alice
):
    """No network at all from the first message to the last: the reload and the reopened
    page come from the phone's copy (the service worker's day's pack), the outbox from
    IndexedDB; back online, each goes once, in the order written."""
    from tests.e2e.test_offline_pack import CONTROLLED, kept

    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    go_live(page)
    page.wait_for_function(CONTROLLED, timeout=15_000)
    assert kept(page, f"/events/{live_demonstration.pk}/")

    write_offline_and_acknowledge(page, instruction)  # the network goes here, and stays gone
    page.reload()
    expect(page.locator("#offline-banner")).to_contain_text("Offline since")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    assert_waiting(page, instruction)
    address, phone = page.url, page.context
    page.close()
    page = phone.new_page()  # the tab closed, and opened again on the phone's copy
    page.goto(address)
    expect(page.locator("#offline-banner")).to_contain_text("Offline since")
    assert_waiting(page, instruction)
    assert not Message.objects.filter(body__in=WRITTEN).exists()

    page.context.set_offline(False)  # a page shown from the phone's copy loads afresh
    expect(page.locator("#offline-banner")).to_be_hidden(timeout=RECONNECT_MS)
    go_live(page)
    assert_all_shown_once(page, instruction)
    assert_arrived_once_in_order(alice, instruction)
