""""Waiting for you": carol (city) and alice (organiser) see what waits for them to act —
zones to agree, instructions to acknowledge, registrations to review — with a link each, on
the desk and on alice's list of demonstrations; mallory, another organiser, sees none of it."""

import uuid

from django.urls import reverse

from desk.selectors import waiting_for
from events import services as events
from events.selectors import registrations_awaiting_city, registrations_awaiting_organiser
from messaging import services as messaging
from tests.support.accounts import log_in
from tests.support.factories import event_fields
from tests.support.zones import make_zone
from zones import services as zones


def instruction(event, sender):
    message, _created = messaging.send_message(
        event=event, sender=sender, channel="all", kind="instruction",
        body="Hold at the bridge.", client_id=uuid.uuid4())
    return message


def test_registrations_wait_for_the_city_until_it_decides(alices_event, carol, bob, alice):
    assert list(registrations_awaiting_city(carol)) == [alices_event]
    assert list(registrations_awaiting_city(bob)) == []  # police do not decide
    assert list(registrations_awaiting_city(alice)) == []

    events.transition_event(alices_event, to="under_review", actor=carol)
    assert list(registrations_awaiting_city(carol)) == [alices_event]
    events.transition_event(alices_event, to="agreed", actor=carol)
    assert list(registrations_awaiting_city(carol)) == []


def test_everything_waiting_for_one_person_is_counted_together(agreed_event, alice, bob,
                                                               carol, mallory):
    zone = make_zone(agreed_event, bob)
    message = instruction(agreed_event, bob)
    other = events.register_event(organiser=mallory, **event_fields(title="Night walk"))
    events.transition_event(other, to="submitted", actor=mallory)

    for_carol = waiting_for(carol)
    assert (for_carol.zones, for_carol.instructions, for_carol.registrations) == (
        [zone], [message], [other])
    assert for_carol.count == 3

    for_alice = waiting_for(alice)
    assert (for_alice.zones, for_alice.instructions, for_alice.registrations) == (
        [zone], [message], [])
    assert waiting_for(mallory).count == 0  # not her demonstration

    zones.agree_zone(zone, actor=alice, version=1)
    messaging.acknowledge_message(message, user=alice)
    assert waiting_for(alice).count == 0


def test_the_desk_lists_what_waits_for_carol_with_links(client, agreed_event, bob, carol):
    zone = make_zone(agreed_event, bob, label="Steps of City Hall")
    message = instruction(agreed_event, bob)

    page = log_in(client, carol).get(reverse("desk")).content.decode()

    assert 'id="waiting-for-you"' in page
    assert "Waiting for you (2)" in page
    assert f'href="/events/{agreed_event.pk}/#zone-map"' in page
    assert f'data-zone-id="{zone.pk}"' in page
    assert f'href="/events/{agreed_event.pk}/#channel-panel"' in page
    assert f'data-message-id="{message.pk}"' in page
    assert "Instruction #1 in “Everyone” from Bob Officer" in page
    assert "Hold at the bridge." not in page  # the body is read on the channel, not here


def test_the_desk_links_registrations_waiting_for_the_city(client, alices_event, carol):
    page = log_in(client, carol).get(reverse("desk")).content.decode()

    assert "Waiting for you (1)" in page
    assert f'href="/events/{alices_event.pk}/#workflow-heading"' in page


def test_organiser_sees_what_waits_for_them_on_their_list_of_demonstrations(
        client, agreed_event, alice, bob):
    make_zone(agreed_event, bob, label="Steps of City Hall")

    page = log_in(client, alice).get(reverse("events:list")).content.decode()

    assert 'id="waiting-for-you-box"' in page
    assert f'data-url="{reverse("desk-waiting")}"' in page
    assert "Waiting for you (1)" in page
    assert "“Steps of City Hall” (Assembly area), version 1" in page
    assert f'href="/events/{agreed_event.pk}/#zone-map"' in page
    assert "desk/waiting.js" in page


def test_the_waiting_list_alone_shows_nothing_of_other_organisers_demonstrations(
        client, agreed_event, bob, mallory):
    make_zone(agreed_event, bob, label="Steps of City Hall")
    instruction(agreed_event, bob)

    response = log_in(client, mallory).get(reverse("desk-waiting"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Waiting for you (0)" in text and "Nothing is waiting for you." in text
    assert agreed_event.reference not in text and "Steps of City Hall" not in text


def test_the_waiting_list_is_for_people_logged_in(client):
    response = client.get(reverse("desk-waiting"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def sent_back(event, carol):
    events.transition_event(event, to="under_review", actor=carol)
    return events.transition_event(event, to="changes_requested", actor=carol,
                                   note="Please start an hour later.")


def test_a_registration_sent_back_waits_for_its_organisers(alices_event, alice, carol,
                                                           mallory):
    assert list(registrations_awaiting_organiser(alice)) == []
    sent_back(alices_event, carol)

    assert list(registrations_awaiting_organiser(alice)) == [alices_event]
    assert list(registrations_awaiting_organiser(mallory)) == []  # not hers
    assert list(registrations_awaiting_organiser(carol)) == []  # the city waits, not acts
    for_alice = waiting_for(alice)
    assert for_alice.sent_back == [alices_event] and for_alice.count == 1

    events.transition_event(alices_event, to="submitted", actor=alice)
    assert waiting_for(alice).count == 0


def test_organiser_sees_the_citys_request_waiting_with_a_link_to_the_conversation(
        client, alices_event, alice, carol):
    sent_back(alices_event, carol)

    page = log_in(client, alice).get(reverse("events:list")).content.decode()

    assert "Waiting for you (1)" in page
    assert f'href="/events/{alices_event.pk}/#review-conversation"' in page
    assert "Changes requested by the city" in page
