"""The live channel panel on a demonstration's page: who gets it, with which channels, and
when they may write. The panel's behaviour is told in tests/e2e/test_live_channel_page.py."""

import re

import pytest

from events import services
from tests.support.factories import make_user
from tests.support.page_scripts import STATIC, catalog_of, words_of
from tests.support.pages import page_of, panel_config


def channels_in(page: str) -> dict:
    return {c["name"]: c["can_post"] for c in panel_config(page)["channels"]}


def panel_html(page: str) -> str:
    start = page.index('<section class="channel-panel"')
    return page[start:page.index('<section aria-labelledby="details-heading">', start)]


def test_it_gives_the_organiser_only_the_everyone_channel(client, agreed_event, alice):
    page = page_of(client, alice, agreed_event)
    assert channels_in(page) == {"all": True}
    assert 'id="channel-log-all"' in page
    assert 'id="channel-log-officials"' not in page and 'class="channel-tabs"' not in page
    config = panel_config(page)
    assert config["me"] == {"id": alice.pk, "name": "Alice Martin", "role": "organiser"}
    assert config["event"] == agreed_event.pk
    assert config["socket_path"] == f"/ws/events/{agreed_event.pk}/"
    assert "messaging/channel.js" in page and "messaging/channel.css" in page


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_it_gives_police_and_city_members_both_channels_as_tabs(client, agreed_event, who,
                                                                 request):
    page = page_of(client, request.getfixturevalue(who), agreed_event)
    assert channels_in(page) == {"all": True, "officials": True}
    assert 'id="channel-tab-all"' in page and 'id="channel-tab-officials"' in page
    assert "organisers do not see this channel" in page


def test_it_shows_no_panel_to_a_police_officer_not_assigned(client, agreed_event):
    erin = make_user("erin", "police", name="Erin Elsewhere")
    page = page_of(client, erin, agreed_event)
    assert panel_config(page) is None
    assert 'id="channel-panel"' not in page and "messaging/channel.js" not in page
    assert 'id="channel-not-member"' in page


def test_it_shows_nothing_about_the_channel_to_a_reviewer(client, agreed_event, carol, dave):
    services.transition_event(agreed_event, to="live", actor=carol)
    services.transition_event(agreed_event, to="concluded", actor=carol)
    page = page_of(client, dave, agreed_event)
    assert panel_config(page) is None and 'id="channel-not-member"' not in page


def test_it_keeps_the_channel_readable_but_the_composer_disabled_once_concluded(
    client, agreed_event, alice, bob, carol
):
    services.transition_event(agreed_event, to="live", actor=carol)
    services.transition_event(agreed_event, to="concluded", actor=carol)
    for user in (alice, bob):
        page = page_of(client, user, agreed_event)
        assert not any(channels_in(page).values())
        panel = panel_html(page)
        assert re.search(r'<textarea id="channel-body"[^>]* disabled', panel)
        assert re.search(r'<button type="submit" class="primary channel-send" disabled', panel)
        assert "its channel is read-only" in panel
        assert panel_config(page)["state"] == "concluded"


def test_it_leaves_the_composer_enabled_while_the_event_is_open(client, agreed_event, alice):
    panel = panel_html(page_of(client, alice, agreed_event))
    assert not re.search(r'<textarea id="channel-body"[^>]* disabled', panel)
    assert re.search(r'id="channel-composer-note" hidden', panel)


def test_it_passes_names_as_data_never_as_markup(client, agreed_event, alice):
    alice.first_name = '</script><script>window.__xss=1</script>'
    alice.save()
    page = page_of(client, alice, agreed_event)
    assert "<script>window.__xss=1</script>" not in page
    assert panel_config(page)["me"]["name"].startswith("</script><script>")


def test_it_has_no_inline_script_in_the_panel(client, agreed_event, bob):
    panel = panel_html(page_of(client, bob, agreed_event))
    scripts = re.findall(r"<script([^>]*)>", panel)
    assert scripts == [' id="channel-config" type="application/json"']
    assert not re.search(r"\son[a-z]+=", panel)  # no inline event handlers either


def test_it_hands_the_script_its_words_through_the_languages_catalog(client, agreed_event, bob):
    page = page_of(client, bob, agreed_event)
    assert 'id="channel-strings"' not in page  # no table of words of its own
    assert '<script src="/i18n/catalog/en.js" defer></script>' in page
    catalog = catalog_of(client.get("/i18n/catalog/fr.js"))
    assert words_of(STATIC / "messaging" / "channel.js") <= set(catalog)
    assert panel_config(page_of(client, bob, agreed_event))["kinds"] == {
        "message": "Message", "instruction": "Instruction", "alert": "Alert"}
