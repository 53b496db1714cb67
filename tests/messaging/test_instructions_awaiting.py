"""Which instructions and alerts wait for someone's acknowledgement
(messaging.selectors.instructions_awaiting_acknowledgement)."""

import uuid

from events import services as events
from messaging import services
from messaging.selectors import instructions_awaiting_acknowledgement


def send(event, sender, *, kind="instruction", channel="all", body="Hold at the bridge."):
    message, _created = services.send_message(event=event, sender=sender, channel=channel,
                                              kind=kind, body=body, client_id=uuid.uuid4())
    return message


def test_an_instruction_waits_for_every_reader_but_its_sender(agreed_event, alice, bob,
                                                              carol):
    instruction = send(agreed_event, bob)
    send(agreed_event, bob, kind="message", body="Just a message.")

    assert list(instructions_awaiting_acknowledgement(alice)) == [instruction]
    assert list(instructions_awaiting_acknowledgement(carol)) == [instruction]
    assert list(instructions_awaiting_acknowledgement(bob)) == []


def test_it_stops_waiting_once_acknowledged(agreed_event, alice, bob, carol):
    alert = send(agreed_event, carol, kind="alert", body="Road closed ahead.")
    services.acknowledge_message(alert, user=alice)

    assert list(instructions_awaiting_acknowledgement(alice)) == []
    assert list(instructions_awaiting_acknowledgement(bob)) == [alert]


def test_organisers_are_never_told_of_the_officials_channel(agreed_event, alice, bob, carol):
    officials = send(agreed_event, bob, channel="officials")

    assert list(instructions_awaiting_acknowledgement(alice)) == []
    assert list(instructions_awaiting_acknowledgement(carol)) == [officials]


def test_nothing_waits_for_people_outside_the_demonstration_or_once_it_is_over(
        agreed_event, bob, carol, alice, mallory, erin, dave):
    send(agreed_event, bob)
    for outsider in (mallory, erin, dave):
        assert list(instructions_awaiting_acknowledgement(outsider)) == []

    events.transition_event(agreed_event, to="cancelled", actor=carol, note="Storm.")
    assert list(instructions_awaiting_acknowledgement(alice)) == []
