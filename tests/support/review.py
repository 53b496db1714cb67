"""A demonstration's whole life, told through the services, for the after-action review
stories: registered, reviewed, a zone proposed, reshaped and agreed by all three parties,
live with messages in both channels, an acknowledged instruction, an incident and a key
moment, then concluded."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.utils import timezone

from coordination.models import LogEntry
from events import services as events
from events.models import Event
from messaging import services as messaging
from messaging.key_moments import mark_key_moment
from messaging.models import Acknowledgement, KeyMoment, Message
from tests.support.factories import event_fields
from tests.support.zones import LAT, LON, geos, make_zone, square
from zones import services as zones
from zones.incidents import report_incident
from zones.models import Incident, Zone


@dataclass
class Story:
    event: Event
    zone: Zone
    gathering: Message  # Alice, everyone's channel: marked as a key moment
    standby: Message  # Bob, officials only
    instruction: Message  # Carol, acknowledged by Alice
    incident: Incident


def say(event, sender, body, *, channel="all", kind="message") -> Message:
    message, _created = messaging.send_message(
        event=event, sender=sender, channel=channel, kind=kind, body=body,
        client_id=str(uuid.uuid4()),
    )
    return message


def live_event(event, *, alice, bob, carol) -> tuple[Event, Zone]:
    """Alice's submitted demonstration taken under review, given a zone that is drawn,
    reshaped and agreed by all three parties, agreed and made live."""
    events.transition_event(event, to="under_review", actor=carol)
    zone = make_zone(event, carol, label="Steps of City Hall")
    zone = zones.change_zone(zone, actor=bob, geometry=geos(square(size=0.002)))
    for person in (alice, bob, carol):
        zone, _new = zones.agree_zone(zone, actor=person, version=2)
    events.transition_event(event, to="agreed", actor=carol, note="Agreed at the meeting.")
    events.transition_event(event, to="live", actor=carol)
    event.refresh_from_db()
    return event, zone


def concluded_story(event, *, alice, bob, carol) -> Story:
    event, zone = live_event(event, alice=alice, bob=bob, carol=carol)
    gathering = say(event, alice, "We are gathering at the steps, café open.")
    standby = say(event, bob, "Two units on standby behind the library.", channel="officials")
    instruction = say(event, carol, "Please keep the north lane clear.", kind="instruction")
    messaging.acknowledge_message(instruction, user=alice)
    # Reported after the messages, as having happened when the demonstration went live.
    went_live = LogEntry.objects.get(event=event, kind="event.transition", data__to="live").at
    incident = report_incident(
        event=event, reporter=bob, location=Point(LON + 0.0005, LAT + 0.0005, srid=4326),
        happened_at=went_live, severity="low",
        description="A banner pole fell over; nobody hurt.",
    )
    mark_key_moment(message=gathering, user=carol, note="The crowd was told where to meet.")
    events.transition_event(event, to="concluded", actor=carol, note="Dispersed peacefully.")
    event.refresh_from_db()
    zone.refresh_from_db()
    return Story(event=event, zone=zone, gathering=gathering, standby=standby,
                 instruction=instruction, incident=incident)


def between(earlier: dt.datetime, later: dt.datetime) -> dt.datetime:
    assert earlier < later, (earlier, later)
    return earlier + (later - earlier) / 2


# --- The after-action report's story (tests/review/test_report.py, tests/site/test_spanish.py)

CONTACT_NAME = "Zyxwv Contact"
CONTACT_PHONE = "+33 6 99 88 77 66"
CONTACT_EMAIL = "zyxwv@example.org"


def acknowledge_after(message, user, seconds: float) -> None:
    """``user`` acknowledges ``message`` ``seconds`` after it was sent (the stored time is
    set afterwards: the service stamps the moment it runs)."""
    ack, _ = messaging.acknowledge_message(message, user=user)
    Acknowledgement.objects.filter(pk=ack.pk).update(
        at=message.sent_at + dt.timedelta(seconds=seconds))


def reported_event(*, alice, bob, carol) -> Event:
    """Alice's demonstration (contact ``CONTACT_NAME``), agreed with one zone, run live with
    messages, an instruction alice acknowledged after 42 s (bob never did), an incident and a
    key moment, then concluded."""
    event = events.register_event(organiser=alice, **event_fields(
        contact_name=CONTACT_NAME, contact_phone=CONTACT_PHONE, contact_email=CONTACT_EMAIL))
    event = events.transition_event(event, to="submitted", actor=alice)
    # Registered an hour ago, so that an incident can have happened before it was recorded.
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    events.add_member(event, username="bob", actor=carol)
    events.add_member(event, username="carol", actor=carol)
    zone = make_zone(event, carol, label="Steps of City Hall", conditions="Keep the door clear")
    for person in (alice, bob, carol):
        zone, _ = zones.agree_zone(zone, actor=person, version=zone.version)
    for state in ("under_review", "agreed", "live"):
        event = events.transition_event(event, to=state, actor=carol)
    say(event, alice, "We are at the steps.")
    say(event, alice, "Stewards in place.")
    say(event, bob, "Thanks, all quiet.")
    instruction = say(event, carol, "Please keep the north door clear.", kind="instruction")
    acknowledge_after(instruction, alice, 42)
    key = say(event, carol, "Crowd moving to the square.")
    KeyMoment.objects.create(message=key, marked_by=carol, marked_at=timezone.now(),
                             note="Start of the march")
    report_incident(event=event, reporter=bob,
                    happened_at=timezone.now() - dt.timedelta(minutes=10),
                    location=event.assembly_point, severity="medium",
                    description="Bottle thrown near the fountain")
    return events.transition_event(event, to="concluded", actor=carol)
