"""``{% push_toggle event as push_toggle %}``: the event page's "Notify me on this phone".

A template tag, so that the events app's page offers it without importing push (push reads
the lower layers, never the reverse).
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from events.models import Event, EventMembership
from events.workflow import CLOSED_STATES
from push.keys import push_enabled

register = template.Library()


@register.simple_tag(takes_context=True)
def push_toggle(context, event: Event) -> dict | None:
    """What the toggle needs (``templates/push/_push_toggle.html``), or None when it is not
    offered: push is off, the demonstration is over, or the reader is not a member."""
    user = context["request"].user
    if not push_enabled() or event.state in CLOSED_STATES or not user.is_authenticated:
        return None
    if not EventMembership.objects.filter(event=event, user=user).exists():
        return None
    return {
        "event": event.pk,
        "key_url": reverse("api:push-public-key"),
        "subscriptions_url": reverse("api:push-subscriptions"),
    }
