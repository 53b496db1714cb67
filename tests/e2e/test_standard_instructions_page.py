"""Bob (police) sends a standard instruction in two clicks; Alice, who reads Parley in French,
sees it in French on her phone, and the channel panel tells Bob who reads what."""

import pytest
from playwright.sync_api import Page, expect

from messaging.models import Message, StandardInstruction

pytestmark = pytest.mark.e2e

ASSEMBLY = {
    "en": "Please move to the assembly area.",
    "fr": "Veuillez rejoindre la zone de rassemblement.",
    "es": "Por favor, diríjanse a la zona de concentración.",
}


def open_channel(phone_for, user, event) -> Page:
    page = phone_for(user, f"/events/{event.pk}/")
    expect(page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    return page


def test_bob_sends_a_standard_instruction_in_two_clicks_and_alice_reads_it_in_french(
    phone_for, agreed_event, alice, bob, screenshot,
):
    StandardInstruction.objects.create(label="Assembly area", texts=dict(ASSEMBLY))
    alice.language = "fr"
    alice.save(update_fields=["language"])
    alice_page = open_channel(phone_for, alice, agreed_event)
    bob_page = open_channel(phone_for, bob, agreed_event)

    # Who reads what: Bob sees that Alice reads French.
    alice_row = bob_page.locator("#channel-languages .language-member").filter(
        has_text="Alice Martin")
    expect(alice_row).to_contain_text("French")

    # Organisers are not offered standard instructions.
    expect(alice_page.locator(".channel-standard-toggle")).to_have_count(0)

    bob_page.get_by_role("button", name="Standard instructions").click()  # click one
    bob_page.locator(".channel-standard").filter(has_text=ASSEMBLY["en"]).click()  # two

    bob_sees = bob_page.locator("#channel-log-all .channel-messages > li.msg-standard")
    expect(bob_sees.locator(".msg-body")).to_have_text(ASSEMBLY["en"])
    alice_sees = alice_page.locator("#channel-log-all .channel-messages > li.msg-standard")
    expect(alice_sees.locator(".msg-body")).to_have_text(ASSEMBLY["fr"])
    screenshot(alice_page, "standard-instruction-in-french")

    message = Message.objects.get()
    assert message.kind == "instruction" and message.texts == ASSEMBLY

    # She acknowledges it like any instruction; after a reload it is still in French.
    alice_sees.locator(".msg-ack-button").click()
    expect(alice_sees.locator(".msg-ack-button")).to_have_count(0)
    assert message.acknowledgements.filter(user=alice).exists()
    alice_page.reload()
    expect(alice_page.locator("#channel-panel")).to_have_attribute("data-connection", "live")
    expect(alice_page.locator("#channel-log-all li.msg-standard .msg-body")).to_have_text(
        ASSEMBLY["fr"])
