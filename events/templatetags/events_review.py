"""``{% review_conversation_for event as conversation %}``: the conversation of the review
for the reader of the page (templates/events/_review_conversation.html)."""

from __future__ import annotations

from django import template

from events.models import Event
from events.selectors import review_conversation

register = template.Library()


@register.simple_tag(takes_context=True)
def review_conversation_for(context, event: Event) -> list[dict] | None:
    """The notes of the review the reader may read (``events.view_review_conversation``),
    oldest first; None when they may not read it at all."""
    user = context["request"].user
    if not user.has_perm("events.view_review_conversation", event):
        return None
    return review_conversation(event, viewer=user)
