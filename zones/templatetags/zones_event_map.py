"""``{% event_zone_map event as zone_map %}``: the map of the event page (zones/event_map.py).

A template tag, so that the events app's page shows the zones without importing zones
(zones may use events, never the reverse).
"""

from __future__ import annotations

from django import template

from coordination.per_request import once_per_request
from zones.event_map import event_map

register = template.Library()


@register.simple_tag(takes_context=True)
def event_zone_map(context, event) -> dict:
    """What the map needs (``templates/zones/_event_map.html``), worked out once per page."""
    request = context["request"]
    return once_per_request(request, ("zone_map", event.pk),
                            lambda: event_map(request.user, event))
