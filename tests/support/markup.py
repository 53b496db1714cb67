"""A demonstration with markup typed into every field people can type into, told through the
services: for the stories that check that typed text stays text on pages, in PDFs and in
e-mails (tests/e2e/test_typed_text_stays_text.py, tests/site/test_typed_text_in_documents.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib.gis.geos import Point

from events import services as events
from events.models import Event
from messaging import services as messaging
from messaging.key_moments import mark_key_moment
from tests.support.factories import event_fields
from tests.support.zones import LAT, LON, geos, make_zone, square
from zones import services as zones
from zones.incidents import report_incident


def name_everyone(typed: Callable[[str], str], *people) -> None:
    """Each person's last name is ``typed("<username> name")``."""
    for person in people:
        person.last_name = typed(f"{person.username} name")
        person.save(update_fields=["last_name"])


def marked_up_demonstration(alice, bob, carol, *, typed: Callable[[str], str], title: str,
                            conclude: bool) -> Event:
    """Alice's demonstration, live (or concluded), where every typed field holds
    ``typed(<the field's name>)``: title, organisation, description, accessibility needs and
    contact name; a note sending it back for changes; a zone's label and conditions agreed by
    all, and another of Alice's, withdrawn; messages from each of the three in everyone's
    channel and Bob's in the officials'; Bob's incident; Carol's key moment."""
    event = events.register_event(organiser=alice, **event_fields(
        title=typed(title), description=typed("description"),
        organisation=typed("organisation"), accessibility_needs=typed("accessibility"),
        contact_name=typed("contact"), publish_description=True))
    events.transition_event(event, to="submitted", actor=alice)
    events.add_member(event, username="bob", actor=carol)
    events.add_member(event, username="carol", actor=carol)
    events.transition_event(event, to="under_review", actor=carol)
    events.transition_event(event, to="changes_requested", actor=carol,
                            note=typed("state note"))
    events.transition_event(event, to="submitted", actor=alice)
    events.transition_event(event, to="under_review", actor=carol)
    zone = make_zone(event, carol, label=typed("zone label"), conditions=typed("conditions"))
    for person in (alice, bob, carol):
        zone, _new = zones.agree_zone(zone, actor=person, version=1)
    # Alice's own zone, withdrawn by the city: the replay still lists it.
    mine = make_zone(event, alice, label=typed("withdrawn label"),
                     conditions=typed("withdrawn conditions"),
                     geometry=geos(square(LON - 0.002, LAT)))
    zones.withdraw_zone(mine, actor=carol)
    events.transition_event(event, to="agreed", actor=carol)
    events.transition_event(event, to="live", actor=carol)
    first = None
    for sender in (alice, bob, carol):
        message, _created = messaging.send_message(
            event=event, sender=sender, channel="all", kind="message",
            body=typed(f"{sender.username} message"), client_id=str(uuid.uuid4()))
        first = first or message
    messaging.send_message(
        event=event, sender=bob, channel="officials", kind="message",
        body=typed("officials message"), client_id=str(uuid.uuid4()))
    report_incident(event=event, reporter=bob, severity="low",
                    location=Point(LON + 0.0005, LAT + 0.0005, srid=4326),
                    description=typed("incident"))
    mark_key_moment(message=first, user=carol, note=typed("key moment"))
    if conclude:
        events.transition_event(event, to="concluded", actor=carol)
    event.refresh_from_db()
    return event
