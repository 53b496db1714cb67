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
from tests.e2e.conftest import device_outbox, offline_tiles
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
    page.get_by_role("button", name="Reconnect now").click()
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
