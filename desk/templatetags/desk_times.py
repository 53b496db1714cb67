"""``{% submitted_since event.submitted_at desk.now %}``: how long a registration has waited,
as a whole sentence ("submitted just now" under a minute, never "0 minutes ago")."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.timesince import timesince
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def submitted_since(submitted_at: dt.datetime, now: dt.datetime) -> str:
    """"submitted just now" within the first minute, else "submitted 2 hours ago"."""
    if now - submitted_at < dt.timedelta(minutes=1):
        return gettext("submitted just now")
    return gettext("submitted %(since)s ago") % {"since": timesince(submitted_at, now)}
