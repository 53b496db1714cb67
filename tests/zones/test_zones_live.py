"""A zone drawn, changed or agreed appears on every open page of its event: a ``zone`` frame
on the live channel (docs/protocol.md, "The live channel").

alice organises the demonstration; bob (police) and carol (city) are its members; mallory
organises another one.
"""

import pytest
from asgiref.sync import sync_to_async

from events import services as event_services
from tests.support.factories import event_fields
from tests.support.ws import connect_to_event as connect
from tests.support.ws import receive_until
from tests.support.zones import geos, make_zone, square
from zones import services

pytestmark = pytest.mark.django_db(transaction=True)




async def test_members_see_a_zone_appear_change_and_get_agreed(alices_event, alice, bob, carol):
    alice_ws = await connect("alice", alices_event)
    carol_ws = await connect("carol", alices_event)
    try:
        zone = await sync_to_async(make_zone)(alices_event, bob, conditions="No tents")

        for ws in (alice_ws, carol_ws):
            frame, _ = await receive_until(ws, "zone")
            assert set(frame) == {"type", "zone"}
            feature = frame["zone"]
            assert feature["type"] == "Feature" and feature["id"] == zone.pk
            assert feature["geometry"] == square()
            assert feature["properties"]["status"] == "proposed"
            assert feature["properties"]["conditions"] == "No tents"

        await sync_to_async(services.change_zone)(zone, actor=carol,
                                                  geometry=geos(square(size=0.002)))
        changed, _ = await receive_until(alice_ws, "zone")
        assert changed["zone"]["properties"]["version"] == 2
        assert changed["zone"]["geometry"] == square(size=0.002)

        await sync_to_async(services.agree_zone)(zone, actor=carol, version=2)
        agreed, _ = await receive_until(alice_ws, "zone")
        assert agreed["zone"]["properties"]["agreed_by"] == ["city"]
    finally:
        await alice_ws.disconnect()
        await carol_ws.disconnect()


async def test_a_zone_is_not_announced_to_another_events_channel(alices_event, bob, mallory):
    mallorys_event = await sync_to_async(event_services.register_event)(
        organiser=mallory, **event_fields())
    mallory_ws = await connect("mallory", mallorys_event)
    try:
        await sync_to_async(make_zone)(alices_event, bob)
        await sync_to_async(make_zone)(mallorys_event, mallory)

        # Her own event's zone is the first zone frame she gets.
        frame, _ = await receive_until(mallory_ws, "zone")
        assert frame["zone"]["properties"]["event"] == mallorys_event.pk
    finally:
        await mallory_ws.disconnect()
