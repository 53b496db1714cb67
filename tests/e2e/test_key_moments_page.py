"""Carol (city) marks Alice's message as a key moment on her phone; Alice's open page shows
the badge at once, and loses it when Carol unmarks it. Alice is offered no toggle."""

import pytest
from playwright.sync_api import expect

from messaging.models import KeyMoment

pytestmark = pytest.mark.e2e


def test_city_staff_mark_a_key_moment_and_the_organiser_sees_it_live(
        phone_for, agreed_event, alice, carol):
    path = f"/events/{agreed_event.pk}/"
    alices_page = phone_for(alice, path)
    carols_page = phone_for(carol, path)
    for page in (alices_page, carols_page):
        expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")

    alices_page.locator("#channel-body").fill("We are turning onto Broad Street")
    alices_page.locator("#channel-body").press("Enter")
    carols_message = carols_page.locator("#channel-log-all li.msg").filter(
        has_text="We are turning onto Broad Street")
    expect(carols_message).to_have_count(1)
    alices_message = alices_page.locator("#channel-log-all li.msg").filter(
        has_text="We are turning onto Broad Street")
    expect(alices_message.get_by_role("button", name="Mark as key moment")).to_have_count(0)

    carols_message.get_by_role("button", name="Mark as key moment").click()
    carols_message.get_by_label("Note (optional)").fill("Route <i>changed</i>")
    carols_message.get_by_role("button", name="Mark", exact=True).click()

    badge = alices_message.locator(".msg-key-moment")
    expect(badge).to_have_text("Key moment: Route <i>changed</i>")
    expect(carols_message.get_by_role("button", name="Unmark key moment")).to_be_visible()
    assert KeyMoment.objects.get().note == "Route <i>changed</i>"

    carols_message.get_by_role("button", name="Unmark key moment").click()
    expect(badge).to_have_count(0)
    expect(carols_message.get_by_role("button", name="Mark as key moment")).to_be_visible()
