"""An alert sent on the live channel (WebSocket) reaches, by Web Push, the member whose phone
has no connection, and not the member whose browser is connected to the channel."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from events import services as events
from tests.push.stories import notifier_round, subscribe
from tests.support.ws import connect_to_event as connect
from tests.support.ws import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_alert_sent_on_the_channel_is_pushed_to_the_member_who_is_not_connected(
        agreed_event, alice, bob, carol, vapid, push_service):
    await sync_to_async(events.transition_event)(agreed_event, to="live", actor=carol)
    alices_phone = await sync_to_async(subscribe)(alice, push_service, "alice-phone")
    carols_phone = await sync_to_async(subscribe)(carol, push_service, "carol-phone")
    bobs_browser = await connect("bob", agreed_event)
    carols_browser = await connect("carol", agreed_event)  # carol has the page open

    await bobs_browser.send_json_to({"type": "send", "channel": "all", "kind": "alert",
                                     "body": "Move back from the bridge",
                                     "client_id": str(uuid.uuid4())})
    sent, _ = await receive_until(bobs_browser, "sent")
    await sync_to_async(notifier_round)()

    (received,) = push_service.to(alices_phone.endpoint)
    payload = alices_phone.decrypt(received)
    assert (payload["kind"], payload["body"], payload["message_id"]) == (
        "alert", "Move back from the bridge", sent["id"])
    assert push_service.to(carols_phone.endpoint) == []
    await bobs_browser.disconnect()
    await carols_browser.disconnect()
