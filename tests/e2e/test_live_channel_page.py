"""Alice (organiser), Bob (police) and Carol (city) talk on the live channel of an agreed
demonstration, each on their own phone. Carol's phone loses the network for a while and
catches up without missing or doubling a message; Bob's instruction is acknowledged by both;
a body that looks like HTML stays text."""

import re

import pytest
from playwright.sync_api import Page, expect

from coordination.moments import format_moment
from events import services
from messaging.models import Message
from tests.e2e.conftest import SCREENSHOTS, device_outbox

pytestmark = pytest.mark.e2e

XSS = '<img src=x onerror="window.__xss=1">'
#: Reconnecting after the network returns may wait out one back-off step (at most ~15 s).
RECONNECT_MS = 20_000


@pytest.fixture
def phone_of(phone_for, agreed_event):
    """``phone_of(user)`` → a page on the event, in the user's own browser context, logged in
    with a session cookie."""

    def open_phone(user) -> Page:
        page = phone_for(user, f"/events/{agreed_event.pk}/")
        expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
        return page

    return open_phone


def log(page: Page, channel: str = "all"):
    return page.locator(f"#channel-log-{channel} .channel-messages > li.msg")


def shown(page: Page, channel: str = "all") -> list[tuple[int, str, str]]:
    """(seq, sender, body) of every message shown in a channel, in page order."""
    return [tuple(row) for row in log(page, channel).evaluate_all(
        "items => items.map(li => [Number(li.dataset.seq),"
        " li.querySelector('.msg-sender').textContent,"
        " li.querySelector('.msg-body').textContent])"
    )]


def say(page: Page, body: str, kind: str = "message", *, enter: bool = True) -> None:
    page.locator("#channel-kind").select_option(kind)
    page.locator("#channel-body").fill(body)
    if enter:
        page.locator("#channel-body").press("Enter")
    else:
        page.get_by_role("button", name="Send").click()
    expect(page.locator("#channel-body")).to_have_value("")


def message_id(page: Page, body: str) -> str:
    """The id of the message shown with ``body``, once it is shown."""
    item = log(page).filter(has_text=body)
    expect(item).to_have_count(1)
    return item.get_attribute("data-id")


def assert_gapless(rows, bodies) -> None:
    assert [seq for seq, _sender, _body in rows] == list(range(1, len(rows) + 1))
    assert [body for _seq, _sender, body in rows] == bodies


def test_three_parties_talk_catch_up_after_losing_the_network_and_acknowledge(
    phone_of, agreed_event, alice, bob, carol, screenshot
):
    alice, bob, carol = phone_of(alice), phone_of(bob), phone_of(carol)  # their phones
    everyone = (alice, bob, carol)
    for page in everyone:
        expect(page.locator(".channel-presence-list li")).to_have_count(3)
    expect(alice.locator("#channel-tab-officials")).to_have_count(0)

    # Each writes; each sees the others (Enter sends, Shift+Enter is a new line).
    say(alice, "Hello from Alice")
    bob.locator("#channel-body").fill("Bob here,")
    bob.locator("#channel-body").press("Shift+Enter")
    bob.locator("#channel-body").type("on the square")
    bob.get_by_role("button", name="Send").click()
    say(carol, "Carol at the town hall", enter=False)
    expected = ["Hello from Alice", "Bob here,\non the square", "Carol at the town hall"]
    for page in everyone:
        expect(log(page)).to_have_count(3)
        assert_gapless(shown(page), expected)

    # Officials only: Bob and Carol, never Alice.
    bob.get_by_role("tab", name="Officials only").click()
    say(bob, "Officials: keep the side street clear")
    expect(carol.locator("#channel-tab-officials .channel-unread")).to_have_text("1 new")
    carol.get_by_role("tab", name="Officials only").click()
    expect(log(carol, "officials")).to_have_count(1)
    expect(carol.locator("#channel-tab-officials .channel-unread")).to_be_hidden()
    carol.get_by_role("tab", name="Everyone").click()
    bob.get_by_role("tab", name="Everyone").click()

    # Carol's phone loses the network; the others keep talking; Carol writes anyway.
    carol.context.set_offline(True)
    expect(carol.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    expect(carol.locator("#channel-status")).to_contain_text("Offline")
    say(alice, "Alice: we are moving")
    say(bob, "Bob: road closed at 5th")
    say(alice, "Alice: stewards in place")
    say(carol, "Carol (written offline)")
    pending = carol.locator("#channel-log-all .channel-outbox li.msg-pending")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Waiting for network")
    expect(pending).to_have_attribute("data-kept", "true")
    assert [item["body"] for item in device_outbox(carol)] == ["Carol (written offline)"]
    expect(log(alice)).to_have_count(6)
    expect(log(carol)).to_have_count(3)

    carol.context.set_offline(False)
    expect(carol.locator("#channel-panel")).to_have_attribute(
        "data-connection", "live", timeout=RECONNECT_MS)
    expected += ["Alice: we are moving", "Bob: road closed at 5th", "Alice: stewards in place",
                 "Carol (written offline)"]
    for page in everyone:
        expect(log(page)).to_have_count(7)
        assert_gapless(shown(page), expected)
    expect(pending).to_have_count(0)
    assert device_outbox(carol) == []
    assert Message.objects.filter(body="Carol (written offline)").count() == 1

    # Bob gives an instruction; Alice and Carol acknowledge it, each in their own way.
    say(bob, "Hold the march at the bridge", "instruction")
    item = f"#msg-{message_id(bob, 'Hold the march at the bridge')}"
    expect(bob.locator(f"{item} .msg-waiting")).to_have_text(["Alice Martin", "Carol City"])
    expect(bob.locator(f"{item} .msg-ack-button")).to_have_count(0)  # not his own
    for page in (alice, carol):
        expect(page.locator(f"{item}.msg-instruction .msg-kind")).to_have_text("Instruction")
        expect(page.locator("#channel-pending")).to_be_visible()
        expect(page.locator("#channel-pending")).to_contain_text("Hold the march at the bridge")
    # Bob's phone drops out while they acknowledge: back online, he sees both anyway.
    bob.context.set_offline(True)
    expect(bob.locator("#channel-panel")).to_have_attribute("data-connection", "offline")
    alice.locator(f"{item} .msg-ack-button").click()
    carol.locator("#channel-pending").get_by_role("button", name="Acknowledge").click()
    expect(alice.locator(f"{item} .msg-ack")).to_have_text(["Alice Martin (you)", "Carol City"])
    expect(carol.locator(f"{item} .msg-ack")).to_have_text(["Alice Martin", "Carol City (you)"])
    expect(bob.locator(f"{item} .msg-waiting")).to_have_text(["Alice Martin", "Carol City"])
    bob.context.set_offline(False)
    expect(bob.locator("#channel-panel")).to_have_attribute(
        "data-connection", "live", timeout=RECONNECT_MS)
    expect(bob.locator(f"{item} .msg-ack")).to_have_text(["Alice Martin", "Carol City"])
    expect(bob.locator(f"{item} .msg-waiting")).to_have_count(0)
    expect(bob.locator(f"{item} .msg-all-acked")).to_be_visible()
    for page in (alice, carol):
        expect(page.locator("#channel-pending")).to_be_hidden()
        expect(page.locator(f"{item} .msg-ack-button")).to_have_count(0)

    # An alert: Bob hears it, Alice has muted hers (remembered on her phone).
    alice.get_by_label("Mute the alert sound").check()
    assert alice.evaluate("localStorage.getItem('parley.alertsMuted')") == "1"
    say(carol, "Crowd surge at the north gate", "alert")
    alert = message_id(carol, "Crowd surge at the north gate")
    for page in (alice, bob):
        expect(page.locator(f"#msg-{alert}.msg-alert")).to_be_visible()
        expect(page.locator("#channel-pending")).to_contain_text("Crowd surge")
    expect(bob.locator("#channel-panel")).to_have_attribute("data-alerts-sounded", "1")
    assert alice.locator("#channel-panel").get_attribute("data-alerts-sounded") is None

    # A body that looks like HTML is shown as text and runs nothing.
    say(alice, XSS)
    for page in everyone:
        last = log(page).last
        expect(last.locator(".msg-body")).to_have_text(XSS)
        expect(page.locator("#channel-panel img")).to_have_count(0)
        assert page.evaluate("typeof window.__xss") == "undefined"

    for page in everyone:
        expect(log(page)).to_have_count(10)
        rows = shown(page)
        assert [seq for seq, *_ in rows] == list(range(1, 11))
    screenshot(bob, "live-channel-phone")
    bob.locator("#channel-panel").screenshot(path=str(SCREENSHOTS / "live-channel-panel.png"))

    # Carol marks the demonstration live: the others' pages follow without a reload.
    carol.get_by_role("tab", name="Details").click()  # on the day, the next steps are there
    carol.get_by_role("button", name="Mark live").click()
    expect(carol.locator("#event-state")).to_have_text("Live")
    for page in (alice, bob):
        expect(page.locator("#event-state")).to_have_text("Live")
        expect(page.locator("#channel-state-notice")).to_contain_text("now “Live”")


@pytest.fixture
def quick_reminders(settings):
    """Reminders of unacknowledged alerts every second instead of every two minutes (set
    before the live server process starts, which inherits these settings)."""
    settings.PARLEY_ALERT_REMINDER_SECONDS = 1


def test_an_unacknowledged_alert_is_shown_and_sounded_again_until_acknowledged(
    quick_reminders, phone_of, alice, bob
):
    alice, bob = phone_of(alice), phone_of(bob)
    say(bob, "Vehicle approaching from the east", "alert")
    item = f"#msg-{message_id(alice, 'Vehicle approaching from the east')}"
    expect(alice.locator(item)).to_have_class(re.compile(r"\bmsg-flash\b"))
    # Heard once on arrival, then again with every reminder.
    expect(alice.locator("#channel-panel")).to_have_attribute(
        "data-alerts-sounded", re.compile(r"^([3-9]|\d\d+)$"), timeout=10_000)
    expect(bob.locator("#channel-panel")).not_to_have_attribute(
        "data-alerts-sounded", re.compile(r"."))  # his own alert is not his to hear
    alice.locator("#channel-pending").get_by_role("button", name="Acknowledge").click()
    expect(alice.locator("#channel-pending")).to_be_hidden()
    expect(bob.locator(f"{item} .msg-ack")).to_have_text(["Alice Martin"])
    expect(bob.locator(f"{item} .msg-waiting")).to_have_text(["Carol City"])  # not here


def test_a_message_the_server_refuses_shows_why_and_can_be_taken_back(
    phone_of, agreed_event, alice, carol
):
    alice = phone_of(alice)
    # The demonstration ends behind the page's back (no notification reaches this page).
    services.transition_event(agreed_event, to="live", actor=carol)
    services.transition_event(agreed_event, to="concluded", actor=carol)
    say(alice, "Are we still on?")
    failed = alice.locator("#channel-log-all .channel-outbox li.msg-failed")
    expect(failed).to_contain_text("Refused: This demonstration is over")
    expect(log(alice)).to_have_count(0)
    # Kept, refused, until she edits or discards it: a reload shows it again, never sends it.
    expect(failed).to_have_attribute("data-kept", "true")
    assert [item["refused"] for item in device_outbox(alice)] == [
        "This demonstration is over: its channel is read-only."]
    failed.get_by_role("button", name="Edit").click()
    expect(failed).to_have_count(0)
    expect(alice.locator("#channel-panel")).to_have_attribute("data-outbox-kept", "0")
    assert device_outbox(alice) == []
    expect(alice.locator("#channel-body")).to_have_value("Are we still on?")
    assert not Message.objects.exists()


@pytest.fixture
def columbus(settings):
    """The city's time zone, set before the test server starts (it forks with the settings)."""
    settings.TIME_ZONE = "America/New_York"


def test_a_message_shows_its_time_in_the_citys_zone_as_the_server_writes_it(
    columbus, phone_of, alice
):
    alice = phone_of(alice)
    expect(alice.locator("html")).to_have_attribute("data-time-zone", "America/New_York")
    say(alice, "On our way to the steps")
    time = log(alice).filter(has_text="On our way to the steps").locator(".msg-time")
    expect(time).to_have_text(re.compile(r"^\d\d:\d\d E[SD]T$"))  # today: no date
    sent_at = Message.objects.get(body="On our way to the steps").sent_at
    expect(time).to_have_attribute("title", format_moment(sent_at, seconds=True))
