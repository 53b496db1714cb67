"""Alice (organiser) follows her live demonstration with the keyboard alone — no mouse, no
touch: Tab to move, Enter or Space to act. She acknowledges the city's instruction, posts in
the live channel and agrees the zone the city proposed, and she can always see where she is:
whatever has the focus wears a visible outline (WCAG 2.4.7)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from events import services as events
from messaging.models import Acknowledgement, Message
from tests.support.review import say
from tests.support.zones import make_zone
from zones.models import ZoneAgreement

pytestmark = pytest.mark.e2e

#: More than the Tab presses between any two things on the page.
MOST_TABS = 150


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page,
    and check that the focus can be seen there."""
    for _press in range(MOST_TABS):
        if target.evaluate("node => node === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached {target}")
    assert_focus_is_visible(page)


def assert_focus_is_visible(page: Page) -> None:
    outline = page.evaluate("""() => {
        const node = document.activeElement;
        const style = getComputedStyle(node);
        return {visible: node.matches(":focus-visible"), style: style.outlineStyle,
                width: parseFloat(style.outlineWidth)};
    }""")
    assert outline["visible"] and outline["style"] != "none" and outline["width"] >= 2, outline


@pytest.fixture
def live_with_a_zone_and_an_instruction(agreed_event, carol):
    """Alice's demonstration, live, with a zone the city proposed and an instruction from the
    city that waits for her acknowledgement."""
    zone = make_zone(agreed_event, carol, label="Steps of City Hall")
    event = events.transition_event(agreed_event, to="live", actor=carol)
    instruction = say(event, carol, "Please keep the north lane clear.", kind="instruction")
    return event, zone, instruction


def test_an_organiser_acknowledges_posts_and_agrees_a_zone_with_the_keyboard_alone(
        phone_for, live_with_a_zone_and_an_instruction, alice):
    event, zone, instruction = live_with_a_zone_and_an_instruction
    page = phone_for(alice, f"/events/{event.pk}/")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")

    # The instruction waits at the top; Space acknowledges it.
    acknowledge = page.locator("#channel-pending").get_by_role("button", name="Acknowledge")
    tab_to(page, acknowledge)
    page.keyboard.press("Space")
    expect(page.locator("#channel-pending .pending-item")).to_have_count(0)
    assert Acknowledgement.objects.filter(message=instruction, user=alice).exists()

    # She writes in the composer and Enter sends.
    tab_to(page, page.get_by_role("textbox", name="Message"))
    page.keyboard.type("We are at the steps, all calm.")
    page.keyboard.press("Enter")
    expect(page.locator("#channel-log-all .channel-messages > li.msg").filter(
        has_text="We are at the steps, all calm.")).to_have_count(1)
    assert Message.objects.filter(channel__event=event, sender=alice,
                                  body="We are at the steps, all calm.").exists()

    # The map is a tab away: Tab reaches the tabs at the selected one, the arrow key moves
    # to the next (the ARIA tabs pattern). The zone's name in the list opens its popup, and
    # Agree agrees it.
    tab_to(page, page.get_by_role("tab", name="Live channel"))
    page.keyboard.press("ArrowRight")
    map_tab = page.get_by_role("tab", name="Map")
    expect(map_tab).to_be_focused()
    page.keyboard.press("Enter")
    expect(map_tab).to_have_attribute("aria-selected", "true")
    tab_to(page, page.locator("#zone-list .zone-show"))
    page.keyboard.press("Enter")
    popup = page.locator(f'.leaflet-popup .zone-popup[data-zone-id="{zone.pk}"]')
    expect(popup).to_be_visible()
    expect(popup).to_be_focused()  # the next Tab goes to its buttons, not down the page
    page.keyboard.press("Tab")
    expect(popup.get_by_role("button", name="Agree")).to_be_focused()
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(popup.locator(".zone-you-agreed")).to_be_visible()
    assert ZoneAgreement.objects.filter(zone=zone, party="organiser",
                                        version__number=zone.version).exists()
