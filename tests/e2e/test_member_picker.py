"""Adding a member from the event page by picking them by name, on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from events.models import EventMembership


def test_city_official_picks_a_police_officer_by_name_and_adds_her(phone_for, alices_event,
                                                                    carol, erin):
    page = phone_for(carol, f"/events/{alices_event.pk}/")
    field = page.get_by_label("Add a police officer or city official by name or username")
    status = page.locator("#member-picker-status")
    expect(status).to_contain_text("Type part of their name")

    field.press_sequentially("Bea")
    option = page.locator('#member-candidates option[value="erin"]')
    expect(option).to_have_attribute("label", "Erin Beat, Police liaison officer")
    expect(status).to_have_text("One person found: choose them from the list.")
    # Choosing the suggestion puts her username in the field, as typing it would.
    field.fill("erin")
    page.get_by_role("button", name="Add member").click()

    expect(page.locator(".members")).to_contain_text("Erin Beat")
    assert EventMembership.objects.filter(event=alices_event, user=erin).exists()
