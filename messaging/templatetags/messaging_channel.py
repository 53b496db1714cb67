"""``{% channel_panel event as channel_panel %}`` and ``{% channel_languages event as
channel_languages %}``: the live channel's part of the event page.

Template tags, so that the events app's page shows the channel without importing messaging
(messaging may use events, never the reverse).
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language

from coordination.languages import language_name
from coordination.parties import Role
from coordination.per_request import once_per_request
from events.models import Event
from events.workflow import CLOSED_STATES
from messaging.models import Channel, Message
from messaging.selectors import channel_languages as languages_of_channel
from messaging.selectors import standard_instructions
from messaging.services import get_channel

register = template.Library()


@register.simple_tag(takes_context=True)
def channel_panel(context, event: Event) -> dict | None:
    """What the panel needs (``templates/messaging/_channel_panel.html``), or None when the
    reader reads none of the event's channels; worked out once per page."""
    request = context["request"]
    return once_per_request(request, ("channel_panel", event.pk),
                            lambda: _channel_panel(request.user, event))


@register.simple_tag
def channel_languages(event: Event) -> dict:
    """Who reads what, for the languages section next to the channel."""
    return _channel_languages(event)


def _channel_panel(user, event: Event) -> dict | None:
    """What the live-channel panel of the event page needs (static/messaging/channel.js),
    or None when ``user`` reads none of the event's channels."""
    channels = []
    can_mark = False
    for name, label in Channel.Name.choices:
        channel = get_channel(event, name)
        if user.has_perm("messaging.read_channel", channel):
            channels.append({"name": name, "label": label,
                             "can_post": user.has_perm("messaging.post_in_channel", channel)})
            # Asked of a message of this channel, as the key-moment API asks it.
            can_mark = can_mark or user.has_perm("messaging.mark_key_moment",
                                                 Message(channel=channel))
    if not channels:
        return None
    return {
        "event": event.pk,
        "socket_path": f"/ws/events/{event.pk}/",
        "history_url": reverse("api:event-messages", args=[event.pk]),
        "me": {"id": user.pk, "name": user.display_name, "role": user.role},
        "channels": channels,
        "can_post": any(channel["can_post"] for channel in channels),
        "max_chars": settings.PARLEY_MESSAGE_MAX_CHARS,
        "state": event.state,
        "closed_states": sorted(CLOSED_STATES),
        "roles": dict(Role.choices),
        "kinds": dict(Message.Kind.choices),
        "states": dict(Event.State.choices),
        "can_mark_key_moments": can_mark,
        # "/0/" is replaced by the message's id.
        "key_moment_url": reverse("api:message-key-moment", args=[0]),
        # Sent in two clicks (police and city); each shown in the sender's language.
        "standard_instructions": [
            {"id": i.pk, "label": i.label, "text": i.text_in(get_language())}
            for i in standard_instructions()
        ] if user.has_perm("messaging.send_standard_instruction") else [],
    }


def _channel_languages(event: Event) -> dict:
    """Who reads what, for the languages section next to the channel."""
    found = languages_of_channel(event)
    return {
        "event": [language_name(code) for code in found["event"]],
        "members": [{**member, "role_label": Role(member["role"]).label,
                     "language_label": language_name(member["language"])
                     if member["language"] else None}
                    for member in found["members"]],
    }
