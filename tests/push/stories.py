"""Shortcuts of the Web Push stories."""

from __future__ import annotations

import uuid

from messaging import services as messaging
from push.delivery import Sender
from push.notifications import compose_pushes
from tests.support.factories import api_client_for
from tests.support.push_service import PushService, Subscriber


def subscribe(user, service: PushService, name: str, *, event=None) -> Subscriber:
    """``user``'s phone turns notifications on (through the API, as the page does)."""
    subscriber = Subscriber(service.endpoint(name))
    extra = {} if event is None else {"event": event.pk}
    response = api_client_for(user).post("/api/v1/push-subscriptions/",
                                         subscriber.subscription_json(**extra), format="json")
    assert response.status_code == 201, response.content
    subscriber.id = response.json()["id"]
    return subscriber


def send_alert(event, sender, body: str = "Move back from the bridge", *,
               channel: str = "all", kind: str = "alert"):
    """``sender`` sends an alert (or another kind) through the channel's service."""
    message, _created = messaging.send_message(event=event, sender=sender, channel=channel,
                                               kind=kind, body=body, client_id=uuid.uuid4())
    return message


def notifier_round(now=None) -> dict:
    """One round of the notifier's push half: compose, then send."""
    composed = compose_pushes(now=now)
    sender = Sender()
    try:
        return {"composed": composed, **sender.deliver(now=now)}
    finally:
        sender.close()
