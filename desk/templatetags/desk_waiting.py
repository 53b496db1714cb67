"""``{% waiting_for_you as waiting %}``: what waits for the reader, for pages outside the
desk (the organisers' list of demonstrations), so that events never imports the desk
(docs/architecture.md: a lower layer reaches a higher one through its template tags)."""

from __future__ import annotations

from django import template

from desk.selectors import WaitingForYou, waiting_for

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_for_you(context) -> WaitingForYou:
    """What waits for the page's reader (``desk.selectors.waiting_for``)."""
    return waiting_for(context["request"].user)
