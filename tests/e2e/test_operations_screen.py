"""On the day, a demonstration's page is the operations screen. Alice (organiser) follows her
live demonstration on her phone and at a desk; Bob (police) sends an instruction through the
live channel. Wherever she is, the instruction and its Acknowledge button are in the first
screenful, and so is the composer; on the phone the map is one tab away and the header is one
short row. Before the day the page is the usual one."""

import datetime as dt
import json
import urllib.request
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from events import services
from tests.e2e.conftest import DESKTOP, PHONE
from tests.support.accounts import api_token
from tests.support.factories import event_fields
from tests.support.review import say

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_demonstration(agreed_event, bob, carol):
    """Alice's demonstration, live, with a morning's talk already in its channel: enough
    that the channel is longer than any screen."""
    event = services.transition_event(agreed_event, to="live", actor=carol)
    for number in range(1, 13):
        say(event, (bob, carol)[number % 2], f"Update {number}: the crowd moves on calmly.")
    return event


@pytest.fixture
def agreed_next_week(alice, carol):
    starts = timezone.now() + dt.timedelta(days=7)
    event = services.register_event(organiser=alice, **event_fields(
        title="Picnic for the park", starts_at=starts, ends_at=starts + dt.timedelta(hours=2)))
    services.transition_event(event, to="submitted", actor=alice)
    services.add_member(event, username="carol", actor=carol)
    services.transition_event(event, to="under_review", actor=carol)
    return services.transition_event(event, to="agreed", actor=carol)


def send_instruction(base_url: str, event, sender, body: str, kind: str = "instruction") -> None:
    """``sender`` sends an instruction (or another ``kind``) through the live channel's API,
    as another member's app would: the server stores it and tells every open channel."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/events/{event.pk}/messages/", method="POST",
        data=json.dumps({"channel": "all", "kind": kind, "body": body,
                         "client_id": str(uuid.uuid4())}).encode(),
        headers={"Authorization": f"Token {api_token(sender)}",
                 "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def in_first_screen(page: Page, locator, viewport: dict) -> bool:
    """Whether the whole of ``locator`` is inside the window as the page opened, unscrolled."""
    assert page.evaluate("window.scrollY") == 0
    box = locator.bounding_box()
    return (box is not None and box["width"] > 0 and box["height"] > 0
            and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"])


def receives_an_instruction(page: Page, base_url: str, event, bob, viewport: dict) -> None:
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    send_instruction(base_url, event, bob, "Move the banner to the east steps, please.")
    pending = page.locator("#channel-pending .pending-item")
    expect(pending).to_contain_text("Move the banner to the east steps")
    acknowledge = pending.get_by_role("button", name="Acknowledge")
    expect(acknowledge).to_be_visible()
    assert in_first_screen(page, pending.locator(".pending-text"), viewport)
    assert in_first_screen(page, acknowledge, viewport)
    assert in_first_screen(page, page.locator("#channel-body"), viewport)
    assert in_first_screen(page, page.get_by_role("button", name="Send"), viewport)


def test_alice_on_her_phone_sees_bobs_instruction_first_and_the_map_a_tab_away(
        phone_for, asgi_live_server, live_demonstration, agreed_next_week, alice, bob):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    assert page.locator(".site-header").bounding_box()["height"] <= 64
    expect(page.get_by_role("tab", name="Live channel")).to_have_attribute(
        "aria-selected", "true")
    expect(page.locator("#event-map")).to_be_hidden()
    receives_an_instruction(page, asgi_live_server, live_demonstration, bob, PHONE)
    expect(page.get_by_role("tab", name="Live channel")).to_have_accessible_name(
        "Live channel 1 to acknowledge")

    # The composer stays at the bottom of the screen while she reads down the channel.
    page.mouse.wheel(0, 400)
    expect(page.locator("#channel-body")).to_be_in_viewport()

    # The map, by touch or by keyboard.
    page.get_by_role("tab", name="Map").click()
    expect(page.get_by_role("tab", name="Map")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#event-pane-map")).to_have_attribute("role", "tabpanel")
    expect(page.locator("#event-map")).to_be_visible()
    expect(page.locator("#channel-body")).to_be_hidden()
    box = page.locator("#event-map").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    page.get_by_role("tab", name="Map").press("ArrowRight")
    expect(page.get_by_role("tab", name="Details")).to_be_focused()
    expect(page.locator("#details-heading")).to_be_visible()
    expect(page.locator("#event-map")).to_be_hidden()
    page.keyboard.press("Home")
    expect(page.locator("#channel-body")).to_be_visible()

    # The menu folds the links away; it opens with one tap.
    expect(page.locator(".language-form")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.locator(".language-form")).to_be_visible()
    expect(page.get_by_role("link", name="Demonstrations")).to_be_visible()

    # Before the day (her other demonstration, agreed for next week) the page is as it was.
    page.goto(f"{asgi_live_server}/events/{agreed_next_week.pk}/")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    expect(page.locator("#operations-tabs")).to_have_count(0)
    expect(page.locator("#event-map")).to_be_visible()
    expect(page.locator("#details-heading")).to_be_visible()
    assert page.locator("#event-map").bounding_box()["y"] < page.locator(
        "#channel-panel").bounding_box()["y"]



def test_alice_at_a_desk_sees_map_and_channel_side_by_side_and_the_instruction_at_once(
        phone_for, asgi_live_server, live_demonstration, alice, bob):
    page = phone_for(alice, f"/events/{live_demonstration.pk}/", viewport=DESKTOP)
    expect(page.locator("#operations-tabs")).to_be_hidden()
    receives_an_instruction(page, asgi_live_server, live_demonstration, bob, DESKTOP)
    map_box = page.locator("#event-map").bounding_box()
    channel_box = page.locator("#channel-panel").bounding_box()
    assert map_box["x"] + map_box["width"] <= channel_box["x"]  # side by side
    assert in_first_screen(page, page.locator("#event-map"), DESKTOP)
    # Incidents and zones are one click away.
    page.get_by_role("link", name="Incidents").click()
    expect(page.locator("#incidents")).to_be_in_viewport()
    expect(page.locator("#details-heading")).to_be_attached()


def test_carol_sees_that_mark_live_cannot_be_pressed_a_week_ahead(
        phone_for, asgi_live_server, agreed_next_week, carol):
    page = phone_for(carol, f"/events/{agreed_next_week.pk}/", viewport=DESKTOP)
    mark_live = page.get_by_role("button", name="Mark live")
    expect(mark_live).to_be_disabled()
    looks = mark_live.evaluate(
        "b => { const s = getComputedStyle(b);"
        " return {cursor: s.cursor, opacity: parseFloat(s.opacity)}; }")
    assert looks["cursor"] == "not-allowed" or looks["opacity"] < 1


def test_carol_at_a_desk_reads_what_changed_without_words_broken_in_two(
        phone_for, asgi_live_server, agreed_next_week, alice, carol):
    services.amend_event(
        agreed_next_week, actor=alice, stewards=30,
        description="A picnic for the park, with music and speeches by the neighbours "
                    "who look after it; " * 6)
    page = phone_for(carol, f"/events/{agreed_next_week.pk}/", viewport=DESKTOP)
    what = page.locator("#changes-since-agreed tbody th")
    expect(what.first).to_be_visible()
    # One box per line: a single word on more than one line was broken in two.
    lines = what.evaluate_all(
        "cells => cells.map(c => { const r = document.createRange(); r.selectNodeContents(c);"
        " return [c.textContent, r.getClientRects().length]; })")
    assert any(text == "Description" for text, _ in lines)
    assert all(count == 1 for text, count in lines if " " not in text.strip()), lines


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_acknowledge_button_shows_whole_inside_its_box_on_a_phone(
        phone_for, asgi_live_server, live_demonstration, alice, bob, locale):
    """The box of what waits for her scrolls when many wait, but one instruction (French
    words are longer) shows whole: its text and its button, never cut by the box."""
    page = phone_for(alice, f"/events/{live_demonstration.pk}/", locale=locale)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    send_instruction(asgi_live_server, live_demonstration, bob,
                     "Move the banner to the east steps, please, and keep the crossing clear.")
    button = page.locator("#channel-pending .pending-item .msg-ack-button")
    expect(button).to_be_visible()
    cut = button.evaluate("""(node) => {
      const box = node.closest('.channel-pending').getBoundingClientRect();
      const own = node.getBoundingClientRect();
      return own.top < box.top || own.bottom > box.bottom;
    }""")
    assert not cut, "the Acknowledge button is cut by the box of what waits"


def three_to_acknowledge(base_url: str, event, bob) -> None:
    send_instruction(base_url, event, bob, "Counter-protesters gather at the bridge.", "alert")
    send_instruction(base_url, event, bob, "Keep the east side of the square clear.")
    send_instruction(base_url, event, bob, "Hold the march at Broad Street for five minutes.")


def sees_the_newest_message_above_the_composer(page: Page, viewport: dict) -> None:
    """The newest message is wholly in the window, between the top of its list's visible
    part and the composer, and a fair part of the list shows."""
    expect(page.locator("#channel-pending .pending-item")).to_have_count(3)
    messages = page.locator(".channel-log:not([hidden]) .channel-messages")
    newest = messages.locator(".msg").last
    expect(newest).to_contain_text("Hold the march at Broad Street")
    expect(newest).to_be_visible()
    pane = page.locator("#event-pane-channel").bounding_box()
    top = max(0, pane["y"])
    bottom = min(viewport["height"], page.locator("#channel-composer").bounding_box()["y"])
    box = newest.bounding_box()
    assert top <= box["y"] and box["y"] + box["height"] <= bottom + 1, (box, top, bottom)
    listed = messages.bounding_box()
    assert box["y"] >= listed["y"], (box, listed)
    assert box["y"] + box["height"] <= listed["y"] + listed["height"] + 1, (box, listed)
    shown = min(listed["y"] + listed["height"], bottom) - max(listed["y"], top)
    assert shown >= 120, shown


def test_carol_at_a_desk_sees_the_newest_message_though_three_wait_for_her(
        phone_for, asgi_live_server, live_demonstration, carol, bob):
    three_to_acknowledge(asgi_live_server, live_demonstration, bob)
    page = phone_for(carol, f"/events/{live_demonstration.pk}/", viewport=DESKTOP)
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    sees_the_newest_message_above_the_composer(page, DESKTOP)


def test_alice_on_her_phone_sees_the_newest_message_though_three_wait_for_her(
        phone_for, asgi_live_server, live_demonstration, alice, bob):
    three_to_acknowledge(asgi_live_server, live_demonstration, bob)
    page = phone_for(alice, f"/events/{live_demonstration.pk}/")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    sees_the_newest_message_above_the_composer(page, PHONE)


def test_carol_at_a_desk_has_a_one_row_header_lined_up_with_the_operations_screen(
        phone_for, asgi_live_server, live_demonstration, carol):
    page = phone_for(carol, f"/events/{live_demonstration.pk}/", viewport=DESKTOP)
    expect(page.get_by_role("link", name="Standard instructions")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= 64
    nav = page.locator(".site-nav").bounding_box()
    main = page.locator("main").bounding_box()
    assert abs(nav["x"] - main["x"]) <= 1 and abs(nav["width"] - main["width"]) <= 1, (nav, main)
