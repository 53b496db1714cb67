"""The one place that talks to the channel layer: notifications, always after commit.

The database is the source of truth; the channel layer only tells connected clients that
something changed. A notification that cannot be delivered (Redis down) is logged, never
raised: clients catch up from the database when they resume.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def event_group(event_id: int, *, officials: bool = False) -> str:
    """The channel-layer group of everyone connected to one event, or of its officials."""
    return f"event-{event_id}-officials" if officials else f"event-{event_id}"


def send_now(event_id: int, payload: dict, *, officials: bool = False) -> None:
    """Deliver ``payload`` to the event's group immediately (use ``broadcast_on_commit``)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            event_group(event_id, officials=officials),
            {"type": "parley.notify", "payload": payload},
        )
    except Exception:
        logger.warning("Could not notify event %s of %s", event_id, payload.get("type"),
                       exc_info=True)


def broadcast_on_commit(event_id: int, payload: dict, *, officials: bool = False) -> None:
    """Tell the event's connected clients (or only its officials) about ``payload`` once the
    transaction commits."""
    transaction.on_commit(lambda: send_now(event_id, payload, officials=officials))
