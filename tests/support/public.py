"""Shortcuts for the public page stories: demonstrations brought to a state through the
services, as the city would, and zones agreed by all three parties."""

from __future__ import annotations

from events import services
from tests.support.factories import event_fields
from tests.support.zones import make_zone

#: Every public response (the page, the feeds and what the page's script polls).
PUBLIC_URLS = ("/public/", "/public/events.ics", "/public/events.geojson",
               "/public/feed.atom", "/public/notices.json")


def registered(organiser, carol, **fields):
    """A demonstration of ``organiser``'s, submitted, with Carol (city) as a member."""
    event = services.register_event(organiser=organiser, **event_fields(**fields))
    services.transition_event(event, to="submitted", actor=organiser)
    services.add_member(event, username=carol.username, actor=carol)
    return event


def agreed(organiser, carol, **fields):
    """A demonstration agreed by the city."""
    event = registered(organiser, carol, **fields)
    services.transition_event(event, to="under_review", actor=carol)
    services.transition_event(event, to="agreed", actor=carol)
    event.refresh_from_db()
    return event


def agreed_zone(event, organiser, bob, carol, **fields):
    """A zone of ``event`` that all three parties agreed (Bob joins as police member)."""
    from zones import services as zone_services

    services.add_member(event, username=bob.username, actor=carol)
    zone = make_zone(event, carol, **fields)
    for party in (organiser, bob, carol):
        zone, _ = zone_services.agree_zone(zone, actor=party, version=zone.version)
    return zone
