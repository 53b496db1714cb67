"""What the map on a demonstration's page needs: its current zones and what the reader may do.

The page only offers what the API allows: each permission is the one the API asks
(``zones/rules.py``, by name) and a closed demonstration offers nothing, as
``zones.services`` refuses it. Behaviour: ``static/zones/zone_map.js``.
"""

from __future__ import annotations

from django.urls import reverse

from coordination.parties import Role
from events.models import Event
from events.workflow import CLOSED_STATES
from zones import incidents, selectors
from zones.models import EVENT_PARTIES, Incident, Zone
from zones.serializers import ZoneSerializer
from zones.styles import KIND_COLOURS, SEVERITY_COLOURS


def current_zones(event: Event) -> dict:
    """The zones of ``event`` that are in play (not withdrawn), as a FeatureCollection."""
    zones = selectors.zones_of_event(event).exclude(status=Zone.Status.WITHDRAWN)
    return ZoneSerializer(zones, many=True).data


def permissions(user, event: Event) -> dict[str, bool]:
    """What ``user`` may do with the zones of ``event`` on its map.

    Every zone of one demonstration answers these questions alike, so they are asked once
    about a zone of that demonstration that is not drawn yet.
    """
    any_zone = Zone(event=event)
    open_ = event.state not in CLOSED_STATES
    return {
        "add": open_ and user.has_perm("zones.add_zone", event),
        "change": open_ and user.has_perm("zones.change_zone", any_zone),
        "withdraw": open_ and user.has_perm("zones.withdraw_zone", any_zone),
        "agree": open_ and user.has_perm("zones.agree_zone", any_zone),
    }


def event_map(user, event: Event) -> dict:
    """The configuration of the event page's map (``json_script`` → ``zone_map.js``)."""
    return {
        "event": event.pk,
        "zones": current_zones(event),
        "can": permissions(user, event),
        "party": user.role,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "zones_url": reverse("api:event-zones", args=[event.pk]),
        # Per zone, "/0/" is replaced by the zone's id.
        "zone_url": reverse("api:zone-detail", args=[0]),
        "agreements_url": reverse("api:zone-agreements", args=[0]),
        "withdraw_url": reverse("api:zone-withdraw", args=[0]),
        "kinds": {value: str(label) for value, label in Zone.Kind.choices},
        "colours": KIND_COLOURS,
        # A demonstration's zone may be of any kind but a sensitive site (city-wide only).
        "drawable_kinds": [value for value in Zone.Kind.values
                           if value != Zone.Kind.SENSITIVE_SITE],
        "statuses": {value: str(label) for value, label in Zone.Status.choices},
        # The parties that agree a demonstration's zones, in the order the popup lists them.
        "parties": {role: str(Role(role).label) for role in EVENT_PARTIES},
        # Incidents (zones/incidents.py; behaviour: static/zones/incident_map.js).
        "incidents": incident_map(user, event),
    }


def incident_map(user, event: Event) -> dict:
    """What the map shows and offers of ``event``'s incidents: the page offers reporting
    only when the API would accept a report (role and state)."""
    can_view = user.has_perm("zones.view_incidents", event)
    features = (incidents.IncidentSerializer(incidents.incidents_of_event(event), many=True).data
                if can_view else {"type": "FeatureCollection", "features": []})
    return {
        "features": features,
        "can_report": (event.state in incidents.REPORTING_STATES
                       and user.has_perm("zones.report_incident", event)),
        "url": reverse("api:event-incidents", args=[event.pk]),
        "severities": {value: str(label) for value, label in Incident.Severity.choices},
        "colours": SEVERITY_COLOURS,
        "max_chars": incidents.DESCRIPTION_MAX_CHARS,
    }
