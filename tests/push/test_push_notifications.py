"""Web Push: members who are not connected to a demonstration hear of its alerts,
instructions, zones awaiting their agreement and changes of state on their phones — in their
language, encrypted for their browser alone and signed with the server's VAPID key — through a
real (local) push service."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import services as events
from events.models import Event
from messaging import presence
from messaging.models import Acknowledgement
from push.delivery import Sender
from push.models import PushCursor, PushDelivery, PushScanned, PushSubscription
from push.notifications import compose_pushes
from tests.push.stories import notifier_round, send_alert, subscribe
from tests.support.factories import event_fields
from tests.support.push_service import Subscriber, verify_vapid
from tests.support.zones import geos, square
from zones import services as zones

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_event(agreed_event, carol):
    return events.transition_event(agreed_event, to="live", actor=carol)


def test_a_member_with_no_connection_gets_the_alert_encrypted_for_their_phone_and_signed(
        live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone")
    message = send_alert(live_event, bob, "Move back from the bridge")

    result = notifier_round()

    assert result["sent"] == 1
    (received,) = push_service.to(phone.endpoint)
    payload = phone.decrypt(received)
    assert payload["event"] == live_event.pk
    assert payload["reference"] == live_event.reference
    assert payload["kind"] == "alert"
    assert payload["body"] == "Move back from the bridge"
    assert payload["url"] == f"/events/{live_event.pk}/"
    assert payload["title"] == f"Alert: {live_event.title}"
    assert payload["message_id"] == message.pk
    assert payload["ack_label"] == "Acknowledge"
    assert payload["lang"] == "en"
    assert payload["tag"]
    claims = verify_vapid(received, endpoint=phone.endpoint, public_key=vapid)
    assert claims["sub"] == "mailto:push@parley.example.org"
    assert int(received.headers["ttl"]) > 0


def test_a_french_member_reads_the_push_in_french(agreed_event, alice, carol, vapid,
                                                  push_service):
    alice.language = "fr"
    alice.save()
    phone = subscribe(alice, push_service, "alice-phone")

    events.transition_event(agreed_event, to="live", actor=carol)
    notifier_round()

    (received,) = push_service.to(phone.endpoint)
    payload = phone.decrypt(received)
    assert payload["lang"] == "fr"
    assert payload["kind"] == "state"
    assert payload["body"] == "La manifestation est maintenant en cours."


def test_a_french_member_gets_a_standard_instruction_in_french(live_event, alice, bob, vapid,
                                                               push_service):
    from messaging.models import StandardInstruction

    instruction = StandardInstruction.objects.create(
        label="hold", texts={"en": "Please hold your position.",
                             "fr": "Veuillez garder votre position."})
    alice.language = "fr"
    alice.save()
    phone = subscribe(alice, push_service, "alice-phone")
    import uuid

    from messaging import services as messaging
    messaging.send_message(event=live_event, sender=bob, channel="all", kind="instruction",
                           standard_instruction=instruction.pk, client_id=uuid.uuid4())
    notifier_round()

    payload = phone.decrypt(push_service.to(phone.endpoint)[0])
    assert payload["kind"] == "instruction"
    assert payload["body"] == "Veuillez garder votre position."
    assert payload["ack_label"] == "Accuser réception"


def test_a_member_connected_to_the_event_gets_no_push(live_event, alice, carol, bob, vapid,
                                                      push_service):
    alices_phone = subscribe(alice, push_service, "alice-phone")
    carols_phone = subscribe(carol, push_service, "carol-phone")
    presence.join(live_event.pk, user=alice, connection="alice-laptop")

    send_alert(live_event, bob)
    notifier_round()

    assert push_service.to(alices_phone.endpoint) == []
    assert len(push_service.to(carols_phone.endpoint)) == 1


def test_the_sender_gets_no_push_of_their_own_alert(live_event, bob, vapid, push_service):
    phone = subscribe(bob, push_service, "bob-phone")
    send_alert(live_event, bob)
    notifier_round()
    assert push_service.to(phone.endpoint) == []


def test_an_organiser_never_gets_a_push_from_the_officials_channel(live_event, alice, bob,
                                                                   carol, vapid, push_service):
    alices_phone = subscribe(alice, push_service, "alice-phone")
    carols_phone = subscribe(carol, push_service, "carol-phone")

    send_alert(live_event, bob, "Officials only: second unit on its way", channel="officials")
    notifier_round()

    assert push_service.to(alices_phone.endpoint) == []
    payload = carols_phone.decrypt(push_service.to(carols_phone.endpoint)[0])
    assert payload["body"] == "Officials only: second unit on its way"
    assert not PushDelivery.objects.filter(subscription__user=alice).exists()


def test_a_plain_message_is_not_pushed(live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone")
    send_alert(live_event, bob, "Hello", kind="message")
    notifier_round()
    assert push_service.to(phone.endpoint) == []


def test_payloads_carry_no_contact_details(live_event, alice, bob, carol, vapid, push_service):
    Event.objects.filter(pk=live_event.pk).update(
        contact_name="Zed Contact", contact_phone="+1 614 555 0199",
        contact_email="zed.contact@example.org")
    phones = [subscribe(person, push_service, f"{person.username}-phone")
              for person in (alice, carol)]
    send_alert(live_event, bob)
    zones.create_zone(actor=bob, event=live_event, kind="buffer", geometry=geos(square()),
                      label="Bridge buffer")
    notifier_round()
    events.transition_event(live_event, to="concluded", actor=carol)
    notifier_round()

    texts = [json.dumps(phone.decrypt(received), ensure_ascii=False)
             for phone in phones for received in push_service.to(phone.endpoint)]
    assert len(texts) == 5  # carol concluded it herself
    for text in texts:
        for secret in ("Zed Contact", "555 0199", "zed.contact", "@example.org"):
            assert secret not in text


def test_each_thing_is_pushed_once_to_each_subscription_however_many_rounds_see_it(
        live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone")
    send_alert(live_event, bob)

    notifier_round()
    notifier_round()
    # A second notifier that has read nothing yet (no cursor) reads the same entries again.
    PushCursor.objects.all().delete()
    PushScanned.objects.all().delete()
    notifier_round()

    assert len(push_service.to(phone.endpoint)) == 1


def test_two_notifiers_never_send_the_same_push(live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone")
    send_alert(live_event, bob)
    compose_pushes()
    first, second = Sender(), Sender()
    try:
        claimed = first._claim(timezone.now())
        assert second._claim(timezone.now()) == []  # already claimed by the first
        assert len(claimed) == 1
        assert first.deliver()["sent"] == 0  # its claim is held until answered or expired
    finally:
        first.close()
        second.close()
    assert push_service.to(phone.endpoint) == []


def test_a_subscription_for_one_event_gets_only_that_events_pushes(
        live_event, alice, bob, carol, vapid, push_service):
    other = events.register_event(organiser=alice, **event_fields(title="Another march"))
    for_other = subscribe(alice, push_service, "alice-other", event=other)
    for_this = subscribe(alice, push_service, "alice-this", event=live_event)

    send_alert(live_event, bob)
    notifier_round()

    assert push_service.to(for_other.endpoint) == []
    assert len(push_service.to(for_this.endpoint)) == 1


def test_a_phone_following_the_event_and_all_its_persons_events_hears_it_once(
        live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone", event=live_event)
    from tests.support.factories import api_client_for
    api_client_for(alice).post("/api/v1/push-subscriptions/", phone.subscription_json(),
                               format="json")
    assert PushSubscription.objects.count() == 2

    send_alert(live_event, bob)
    notifier_round()

    assert len(push_service.to(phone.endpoint)) == 1


def test_a_zone_awaiting_agreement_is_pushed_to_the_parties_that_must_agree(
        live_event, alice, bob, carol, vapid, push_service):
    phones = {person.username: subscribe(person, push_service, f"{person.username}-phone")
              for person in (alice, bob, carol)}

    zones.create_zone(actor=bob, event=live_event, kind="buffer", geometry=geos(square()),
                      label="Bridge buffer")
    notifier_round()

    assert push_service.to(phones["bob"].endpoint) == []  # who proposed it knows
    for name in ("alice", "carol"):
        payload = phones[name].decrypt(push_service.to(phones[name].endpoint)[0])
        assert payload["kind"] == "zone"
        assert payload["body"] == ("The zone “Bridge buffer” was proposed and awaits your "
                                   "agreement.")
        assert "message_id" not in payload


def test_a_member_taken_off_the_event_gets_no_more_pushes(live_event, bob, carol, vapid,
                                                          push_service):
    phone = subscribe(bob, push_service, "bob-phone")
    events.remove_member(live_event, username="bob", actor=carol)
    send_alert(live_event, carol)
    notifier_round()
    assert push_service.to(phone.endpoint) == []


def test_a_deactivated_person_gets_no_more_pushes(live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone")
    alice.is_active = False
    alice.save()
    send_alert(live_event, bob)
    notifier_round()
    assert push_service.to(phone.endpoint) == []


def test_a_phone_answered_404_or_410_loses_its_subscription(live_event, alice, carol, bob,
                                                            vapid, push_service):
    alices_phone = subscribe(alice, push_service, "alice-phone")
    carols_phone = subscribe(carol, push_service, "carol-phone")
    push_service.answer(alices_phone.endpoint, 410)
    push_service.answer(carols_phone.endpoint, 404)

    send_alert(live_event, bob)
    result = notifier_round()

    assert result["gone"] == 2
    assert not PushSubscription.objects.exists()


def test_a_failed_push_is_retried_with_growing_waits_until_it_goes_through(
        live_event, alice, bob, vapid, push_service, settings):
    settings.PARLEY_PUSH_RETRY_SECONDS = 5
    phone = subscribe(alice, push_service, "alice-phone")
    push_service.answer(phone.endpoint, 500, 429, 201)
    send_alert(live_event, bob)
    start = timezone.now()

    assert notifier_round(start)["failed"] == 1
    assert notifier_round(start + dt.timedelta(seconds=4))["failed"] == 0  # waits 5 s
    assert notifier_round(start + dt.timedelta(seconds=5))["failed"] == 1
    assert notifier_round(start + dt.timedelta(seconds=14))["sent"] == 0  # then 10 s
    assert notifier_round(start + dt.timedelta(seconds=15))["sent"] == 1

    assert [r.status for r in push_service.to(phone.endpoint)] == [500, 429, 201]
    assert phone.decrypt(push_service.to(phone.endpoint)[-1])["kind"] == "alert"
    assert PushSubscription.objects.get().last_success_at is not None


def test_a_push_too_old_to_matter_is_dropped(live_event, alice, bob, vapid, push_service,
                                             settings):
    phone = subscribe(alice, push_service, "alice-phone")
    push_service.answer(phone.endpoint, 500)
    send_alert(live_event, bob)
    start = timezone.now()
    notifier_round(start)

    later = start + dt.timedelta(seconds=settings.PARLEY_PUSH_TTL_SECONDS + 1)
    assert notifier_round(later)["dropped"] == 1
    assert not PushDelivery.objects.exists()
    assert len(push_service.to(phone.endpoint)) == 1


def test_the_notifiers_one_round_pushes(live_event, alice, bob, vapid, push_service):
    phone = subscribe(alice, push_service, "alice-phone")
    send_alert(live_event, bob)
    call_command("run_notifier", "--once")
    assert len(push_service.to(phone.endpoint)) == 1


def test_nothing_is_composed_while_push_is_off(live_event, alice, bob, vapid, push_service,
                                               settings):
    subscribe(alice, push_service, "alice-phone")
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    settings.PARLEY_VAPID_PRIVATE_KEY_FILE = ""
    send_alert(live_event, bob)
    assert notifier_round()["composed"] == 0
    assert not PushDelivery.objects.exists()


def test_an_alert_is_acknowledged_from_the_notifications_button(live_event, alice, bob, vapid,
                                                                push_service, client):
    phone = subscribe(alice, push_service, "alice-phone")
    message = send_alert(live_event, bob)
    notifier_round()
    token = phone.decrypt(push_service.to(phone.endpoint)[0])["ack_token"]

    # The service worker has no session to hand: the token is the credential.
    first = client.post("/api/v1/push/acks/", {"token": token}, content_type="application/json")
    again = client.post("/api/v1/push/acks/", {"token": token}, content_type="application/json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert Acknowledgement.objects.filter(message=message, user=alice).count() == 1


def test_an_acknowledgement_token_is_void_once_the_subscription_is_gone(
        live_event, alice, bob, vapid, push_service, client):
    phone = subscribe(alice, push_service, "alice-phone")
    message = send_alert(live_event, bob)
    notifier_round()
    token = phone.decrypt(push_service.to(phone.endpoint)[0])["ack_token"]
    PushSubscription.objects.all().delete()

    response = client.post("/api/v1/push/acks/", {"token": token},
                           content_type="application/json")
    forged = client.post("/api/v1/push/acks/", {"token": token[:-2] + "xx"},
                         content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    assert forged.status_code == 400
    assert not Acknowledgement.objects.filter(message=message).exists()


def test_in_production_the_notifier_never_posts_to_a_private_address(
        live_event, alice, bob, vapid, push_service, settings):
    """Checked again before each push: an endpoint accepted once (here on a development
    server) is not posted to once private addresses are refused; it is dropped."""
    phone = subscribe(alice, push_service, "alice-phone")
    settings.PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS = False

    send_alert(live_event, bob)
    result = notifier_round()

    assert push_service.received == []
    assert result["gone"] == 1
    assert not PushSubscription.objects.filter(endpoint=phone.endpoint).exists()


def test_a_member_taken_off_after_the_push_was_composed_does_not_get_it(
        live_event, bob, carol, alice, vapid, push_service):
    """A push composed while Carol was a member, still waiting to go (a retry can wait an
    hour), does not reach her once she is taken off the demonstration."""
    phone = subscribe(carol, push_service, "carol-phone")
    send_alert(live_event, bob, "Officials: the side street stays closed", channel="officials")
    assert compose_pushes() == 1
    events.remove_member(live_event, username="carol", actor=carol)

    sender = Sender()
    try:
        result = sender.deliver()
    finally:
        sender.close()

    assert push_service.to(phone.endpoint) == []
    assert result["dropped"] == 1
    assert not PushDelivery.objects.exists()


def test_a_round_that_lost_its_claim_does_not_record_over_the_notifier_that_took_it(
        live_event, alice, bob, vapid, push_service):
    """A round that outlived its claim: another notifier claimed the push meanwhile; what
    the slow round learns is not written over the other's claim."""
    from push.delivery import CLAIM_SECONDS, Outcome

    subscribe(alice, push_service, "alice-phone")
    send_alert(live_event, bob)
    compose_pushes()
    now = timezone.now()
    slow, fast = Sender(), Sender()
    try:
        claimed = slow._claim(now)
        later = now + dt.timedelta(seconds=CLAIM_SECONDS + 1)
        taken_over = fast._claim(later)
        assert [d.pk for d in taken_over] == [d.pk for d in claimed]
        failure = Outcome(claimed[0].pk, claimed[0].subscription_id, 500, "busy")
        slow._record([failure], {d.pk: d for d in claimed}, later, {"failed": 0, "sent": 0,
                                                                      "gone": 0, "dropped": 0})
    finally:
        slow.close()
        fast.close()

    delivery = PushDelivery.objects.get()
    assert delivery.claim == taken_over[0].claim  # still the other notifier's
    assert delivery.attempts == 0


def test_a_phone_whose_session_idled_out_is_told_that_not_what(
        live_event, alice, bob, vapid, push_service, client, settings):
    """A phone in a pocket makes no request, so its idle session is not ended by one: it
    is told an alert came, not what it says, and cannot acknowledge it from there."""
    import time

    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from coordination.accounts.middleware import LAST_SEEN_KEY
    from tests.support.factories import PASSWORD

    browser = Client()
    browser.login(username="alice", password=PASSWORD)
    phone = Subscriber(push_service.endpoint("alice-phone"))
    response = browser.post("/api/v1/push-subscriptions/", phone.subscription_json(),
                            content_type="application/json")
    assert response.status_code == 201
    session = SessionStore(session_key=browser.session.session_key)
    session[LAST_SEEN_KEY] = time.time() - settings.PARLEY_SESSION_IDLE_SECONDS - 60
    session.save()

    send_alert(live_event, bob, "Counter-protesters at the bridge")
    notifier_round()

    payload = phone.decrypt(push_service.to(phone.endpoint)[0])
    assert "Counter-protesters" not in json.dumps(payload)
    assert payload["body"] == "Open Parley and log in again to read it."
    assert "ack_token" not in payload and "message_id" not in payload
