"""E-mail notifications: organisers hear about their demonstration's state and zones; members
hear about alerts and instructions they missed while offline. Each e-mail is in its
recipient's language, queued with the action (never sent by it) and delivered by the
notifier, which retries a failing mail server later."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import transaction
from mailer.models import Message as QueuedEmail
from mailer.models import MessageLog

from coordination.notifications import Courier
from events import services as events
from messaging import services as messaging
from messaging.models import Presence, StandardInstruction
from messaging.notifications import queue_unacknowledged_emails
from tests.support.factories import make_user
from tests.support.zones import geos, square
from zones import services as zones


def deliver() -> list:
    """Run the notifier once and return what it sent."""
    call_command("run_notifier", "--once")
    return list(mail.outbox)


def to(address: str, sent) -> list:
    return [message for message in sent if message.to == [address]]


# --- organisers and their demonstration's state ---------------------------------------------


def test_organiser_is_emailed_when_the_city_takes_up_their_registration(alices_event, carol):
    events.transition_event(alices_event, to="under_review", actor=carol)

    (email,) = deliver()

    assert email.to == ["alice@example.org"]
    assert alices_event.reference in email.subject
    assert "Under review" in email.subject
    assert "Hello Alice Martin" in email.body
    assert f"/events/{alices_event.pk}/" in email.body


def test_a_french_organiser_reads_the_email_in_french(alices_event, alice, carol):
    alice.language = "fr"
    alice.save(update_fields=["language"])

    events.transition_event(alices_event, to="under_review", actor=carol)

    (email,) = deliver()
    assert "est maintenant : En cours d'examen" in email.subject
    assert "Bonjour Alice Martin" in email.body
    assert "Hello" not in email.body


def test_every_state_change_reaches_the_organisers_with_what_the_city_wrote_to_them(
        alices_event, alice, carol):
    events.transition_event(alices_event, to="under_review", actor=carol)
    events.transition_event(alices_event, to="changes_requested", actor=carol,
                            note="Please add a first-aid point.")
    events.transition_event(alices_event, to="submitted", actor=alice)
    events.transition_event(alices_event, to="under_review", actor=carol)
    events.transition_event(alices_event, to="agreed", actor=carol)
    events.transition_event(alices_event, to="live", actor=carol)
    events.transition_event(alices_event, to="cancelled", actor=carol,
                            note="Severe storm warning.")

    sent = deliver()

    # alice hears of every change but the one she made herself (submitting again).
    states = ["Under review", "Changes requested", "Under review", "Agreed", "Live",
              "Cancelled"]
    assert [email.to for email in sent] == [["alice@example.org"]] * len(states)
    for email, state in zip(sent, states, strict=True):
        assert state in email.subject
    assert "Please add a first-aid point." in sent[1].body
    assert "Severe storm warning." in sent[-1].body
    assert "Reason:" in sent[-1].body


def test_a_concluded_demonstration_is_announced_to_its_organisers(alices_event, carol):
    for state in ("under_review", "agreed", "live"):
        events.transition_event(alices_event, to=state, actor=carol)
    mail.outbox.clear()
    QueuedEmail.objects.all().delete()

    events.transition_event(alices_event, to="concluded", actor=carol)

    (email,) = deliver()
    assert "Concluded" in email.subject


def test_co_organisers_hear_of_a_withdrawal_but_not_the_organiser_who_withdrew(
        alices_event, alice, mallory):
    events.add_member(alices_event, username="mallory", actor=alice)

    events.transition_event(alices_event, to="withdrawn", actor=alice, note="We called it off.")

    (email,) = deliver()
    assert email.to == ["mallory@example.org"]
    assert "Withdrawn" in email.subject
    assert "We called it off." in email.body


def test_police_and_city_members_are_not_emailed_about_state_changes(alices_event, carol):
    events.transition_event(alices_event, to="under_review", actor=carol)

    sent = deliver()

    assert to("bob@example.org", sent) == [] and to("carol@example.org", sent) == []


def test_the_email_keeps_the_contact_details_and_other_notes_out(alices_event, carol):
    events.transition_event(alices_event, to="under_review", actor=carol)
    events.transition_event(alices_event, to="agreed", actor=carol,
                            note="Internal: two extra units on standby.")

    sent = deliver()

    for email in sent:
        assert "+1 614 555 0100" not in email.body
        assert "Carol" not in email.body  # the city acts as a party, not a named official
    assert "two extra units" not in sent[-1].body  # an optional note stays in the log


def test_nothing_is_queued_for_a_change_that_is_rolled_back(alices_event, carol):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.transition_event(alices_event, to="under_review", actor=carol)
        raise RuntimeError("something later in the same action failed")

    assert QueuedEmail.objects.count() == 0
    assert deliver() == []


def test_the_change_only_queues_the_email_it_is_sent_by_the_notifier(alices_event, carol):
    events.transition_event(alices_event, to="under_review", actor=carol)

    assert mail.outbox == []
    assert QueuedEmail.objects.count() == 1


def test_once_sent_no_copy_of_the_email_stays_in_the_database(alices_event, carol):
    events.transition_event(alices_event, to="under_review", actor=carol)

    deliver()

    assert QueuedEmail.objects.count() == 0
    (attempt,) = MessageLog.objects.all()
    assert attempt.result == "1"  # sent
    assert attempt.message_data is None  # no address, no text kept


# --- a failing mail server ------------------------------------------------------------------


class FlakyBackend(LocmemBackend):
    """A mail server that is down for the first ``failures`` attempts, then works."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail_server(settings):
    settings.MAILER_EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.PARLEY_EMAIL_RETRY_SECONDS = 60
    settings.PARLEY_EMAIL_RETRY_MAX_SECONDS = 3600
    FlakyBackend.failures = 2
    yield FlakyBackend
    FlakyBackend.failures = 0


def test_a_failing_mail_server_does_not_stop_the_change_and_the_email_is_sent_later(
        alices_event, carol, flaky_mail_server, caplog):
    event = events.transition_event(alices_event, to="under_review", actor=carol)
    assert event.state == "under_review"  # the action went through; the e-mail waits

    courier = Courier()
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    with caplog.at_level(logging.WARNING, logger="parley.notifications"):
        assert courier.deliver(now=start) == {"sent": 0, "failed": 1}
    assert "could not be sent" in caplog.text
    assert mail.outbox == []
    assert QueuedEmail.objects.deferred().count() == 1  # kept, not lost

    # Not retried before its wait is over; then retried, fails again, and waits twice as long.
    assert courier.deliver(now=start + dt.timedelta(seconds=30)) == {"sent": 0, "failed": 0}
    assert courier.deliver(now=start + dt.timedelta(seconds=60)) == {"sent": 0, "failed": 1}
    later = start + dt.timedelta(seconds=60 + 119)
    assert courier.deliver(now=later) == {"sent": 0, "failed": 0}
    sent_at = start + dt.timedelta(seconds=60 + 120)
    assert courier.deliver(now=sent_at) == {"sent": 1, "failed": 0}

    (email,) = mail.outbox
    assert email.to == ["alice@example.org"]
    assert QueuedEmail.objects.count() == 0


def test_new_email_still_goes_out_while_failed_email_waits_for_its_retry(
        alices_event, carol, flaky_mail_server):
    flaky_mail_server.failures = 1
    events.transition_event(alices_event, to="under_review", actor=carol)
    courier = Courier()
    start = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    courier.deliver(now=start)

    events.transition_event(alices_event, to="agreed", actor=carol)

    assert courier.deliver(now=start + dt.timedelta(seconds=5)) == {"sent": 1, "failed": 0}
    assert "Agreed" in mail.outbox[0].subject


# --- zones awaiting the organisers' agreement -----------------------------------------------


def propose_zone(event, actor, **fields):
    return zones.create_zone(actor=actor, event=event, kind="first_aid",
                             geometry=geos(square()), label="Medics tent", **fields)


def test_organiser_is_emailed_when_the_police_propose_a_zone(alices_event, bob):
    propose_zone(alices_event, bob)

    (email,) = deliver()

    assert email.to == ["alice@example.org"]
    assert "A zone awaits your agreement: Medics tent" in email.subject
    assert "Police liaison officer" in email.body
    assert "Bob" not in email.body


def test_a_changed_zone_awaits_the_organisers_agreement_again(alices_event, alice, bob):
    zone = propose_zone(alices_event, bob)
    zones.agree_zone(zone, actor=alice, version=1)
    mail.outbox.clear()
    QueuedEmail.objects.all().delete()

    zones.change_zone(zone, actor=bob, geometry=geos(square(size=0.002)))

    (email,) = deliver()
    assert email.to == ["alice@example.org"]
    assert "version 2" in email.body
    assert "was changed" in email.body


def test_renaming_a_zone_needs_no_new_agreement_and_sends_nothing(alices_event, alice, bob):
    zone = propose_zone(alices_event, bob)
    QueuedEmail.objects.all().delete()

    zones.change_zone(zone, actor=bob, label="First aid")

    assert QueuedEmail.objects.count() == 0


def test_a_zone_alice_proposes_herself_is_announced_to_her_co_organiser_only(
        alices_event, alice, mallory):
    events.add_member(alices_event, username="mallory", actor=alice)

    propose_zone(alices_event, alice)

    (email,) = deliver()
    assert email.to == ["mallory@example.org"]


def test_a_french_organiser_reads_the_zone_email_in_french(alices_event, alice, bob):
    alice.language = "fr"
    alice.save(update_fields=["language"])

    propose_zone(alices_event, bob)

    (email,) = deliver()
    assert "Une zone attend votre accord : Medics tent" in email.subject


# --- alerts and instructions missed while offline -------------------------------------------


@pytest.fixture
def live_event(alices_event, carol):
    for state in ("under_review", "agreed", "live"):
        events.transition_event(alices_event, to=state, actor=carol)
    QueuedEmail.objects.all().delete()
    return alices_event


def send(event, sender, kind: str, body: str, channel: str = "all"):
    message, _created = messaging.send_message(event=event, sender=sender, channel=channel,
                                               kind=kind, body=body, client_id=uuid.uuid4())
    return message


def after(message, seconds: float) -> dt.datetime:
    return message.sent_at + dt.timedelta(seconds=seconds)


def online(event, person, at: dt.datetime) -> None:
    Presence.objects.create(event=event, user=person, connection=f"conn-{person.pk}",
                            last_seen=at)


def test_an_offline_member_is_emailed_once_about_an_alert_they_have_not_acknowledged(
        live_event, alice, bob, carol, settings):
    settings.PARLEY_UNACKNOWLEDGED_EMAIL_SECONDS = 300
    alert = send(live_event, carol, "alert", "Move away from the east gate")

    assert queue_unacknowledged_emails(now=after(alert, 299)) == 0
    assert queue_unacknowledged_emails(now=after(alert, 301)) == 2  # alice and bob
    assert queue_unacknowledged_emails(now=after(alert, 600)) == 0  # once per person

    sent = deliver()
    assert sorted(email.to[0] for email in sent) == ["alice@example.org", "bob@example.org"]
    (email,) = to("alice@example.org", sent)
    assert "Alert awaiting your acknowledgement" in email.subject
    assert "Move away from the east gate" in email.body
    assert "City official" in email.body


def test_a_member_who_is_online_or_has_acknowledged_is_not_emailed(live_event, alice, bob,
                                                                    carol):
    instruction = send(live_event, carol, "instruction", "Keep the entrance clear")
    messaging.acknowledge_message(instruction, user=alice)
    now = after(instruction, 301)
    online(live_event, bob, now)

    assert queue_unacknowledged_emails(now=now) == 0


def test_a_member_who_goes_offline_without_acknowledging_is_emailed(live_event, alice, bob,
                                                                     carol):
    instruction = send(live_event, carol, "instruction", "Keep the entrance clear")
    messaging.acknowledge_message(instruction, user=alice)
    online(live_event, bob, after(instruction, 1))  # connected, then gone (stale)

    assert queue_unacknowledged_emails(now=after(instruction, 301) + dt.timedelta(hours=1)) == 1
    (email,) = deliver()
    assert email.to == ["bob@example.org"]
    assert "Instruction awaiting your acknowledgement" in email.subject


def test_the_delay_is_a_setting(live_event, carol, settings):
    settings.PARLEY_UNACKNOWLEDGED_EMAIL_SECONDS = 30
    alert = send(live_event, carol, "alert", "Storm coming")

    assert queue_unacknowledged_emails(now=after(alert, 31)) == 2


def test_an_officials_alert_is_never_emailed_to_organisers(live_event, alice, bob, carol):
    make_user("erin", "city", name="Erin Official")
    events.add_member(live_event, username="erin", actor=carol)
    alert = send(live_event, bob, "alert", "Staging moves north", channel="officials")

    assert queue_unacknowledged_emails(now=after(alert, 301)) == 2  # carol and erin

    sent = deliver()
    assert to("alice@example.org", sent) == []
    assert sorted(email.to[0] for email in sent) == ["carol@example.org", "erin@example.org"]


def test_plain_messages_need_no_acknowledgement_and_send_no_email(live_event, carol):
    message = send(live_event, carol, "message", "Good morning")

    assert queue_unacknowledged_emails(now=after(message, 3600)) == 0


def test_a_french_member_reads_the_reminder_in_french(live_event, alice, carol):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    alert = send(live_event, carol, "alert", "Storm coming")

    queue_unacknowledged_emails(now=after(alert, 301))

    (email,) = to("alice@example.org", deliver())
    assert "Alerte en attente de votre accusé de réception" in email.subject


def test_a_standard_instruction_is_emailed_in_each_members_own_language(live_event, alice, bob,
                                                                         carol):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    texts = {"en": "Please move to the assembly area.",
             "fr": "Veuillez rejoindre la zone de rassemblement."}
    assembly = StandardInstruction.objects.create(label="Assembly area", texts=texts)
    message, _created = messaging.send_message(
        event=live_event, sender=carol, channel="all", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())

    queue_unacknowledged_emails(now=after(message, 301))

    sent = deliver()
    (to_alice,) = to("alice@example.org", sent)
    (to_bob,) = to("bob@example.org", sent)
    assert texts["fr"] in to_alice.body and texts["en"] not in to_alice.body
    assert texts["en"] in to_bob.body
