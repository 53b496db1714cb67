"""Alice reads Parley in French: the words the page scripts write themselves (the live
channel's status, the composer's label, the "(you)" after her name) come in French from the
JavaScript catalog, and no script is refused by the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_alice_reads_the_live_channels_own_words_in_french(phone_for, agreed_event, alice):
    refused = []

    def watch(page):
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)

    page = phone_for(alice, f"/events/{agreed_event.pk}/", before=watch, locale="fr-FR")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    panel = page.locator("#channel-panel")
    expect(panel).to_have_attribute("data-connection", "live")
    # Written by channel.js once connected, not by the template ("Connexion…", "Message").
    expect(page.locator("#channel-status .channel-status-text")).to_have_text("En cours")
    expect(page.locator(".channel-composer-label")).to_have_text(
        "Message pour\u00a0: Tout le monde")

    page.locator("#channel-kind").select_option("instruction")
    page.locator("#channel-body").fill("Rassemblement à 14 h")
    page.locator("#channel-body").press("Enter")
    message = page.locator("#channel-log-all li.msg").filter(has_text="Rassemblement à 14 h")
    expect(message.locator(".msg-acks-none")).to_have_text("personne pour l'instant")
    assert refused == []
