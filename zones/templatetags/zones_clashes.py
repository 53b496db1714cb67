"""``{% event_clashes event as clashes %}``: the clashes section of the event page.

A template tag, so that the events app's page shows what zones finds without importing
zones (docs/architecture.md: zones may use events, never the reverse).
"""

from __future__ import annotations

from django import template

from zones.conflicts import separation_metres
from zones.selectors import clashes_as_seen_by

register = template.Library()


@register.simple_tag(takes_context=True)
def event_clashes(context, event) -> dict | None:
    """For police and city: the event's clashes and the separation distance; else None."""
    user = context["request"].user
    if not user.has_perm("zones.review_conflicts", event):
        return None
    return {"list": clashes_as_seen_by(user, event), "metres": round(separation_metres())}
