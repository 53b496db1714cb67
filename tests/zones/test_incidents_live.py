"""Incidents and key moments appear live on every open page that may show them: an
``incident`` frame to everyone connected to the demonstration, a ``key_moment`` frame to
those who read the message's channel.

alice organises the demonstration; bob (police) and carol (city) are its members.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.gis.geos import Point

from messaging import key_moments
from messaging.services import send_message
from tests.support.ws import connect_to_event as connect
from tests.support.ws import receive_until
from zones import incidents

pytestmark = pytest.mark.django_db(transaction=True)


def say(event, sender, channel: str):
    message, _ = send_message(event=event, sender=sender, channel=channel, kind="message",
                              body=f"In {channel}", client_id=uuid.uuid4())
    return message


async def test_everyone_connected_sees_a_reported_incident(agreed_event, bob):
    alice_ws = await connect("alice", agreed_event)
    carol_ws = await connect("carol", agreed_event)
    try:
        incident = await sync_to_async(incidents.report_incident)(
            event=agreed_event, reporter=bob, happened_at=None,
            location=Point(-82.999, 39.9615, srid=4326), severity="high",
            description="<b>Barrier pushed over</b>",
        )
        for ws in (alice_ws, carol_ws):
            frame, _ = await receive_until(ws, "incident")
            assert set(frame) == {"type", "incident"}
            feature = frame["incident"]
            assert feature["type"] == "Feature" and feature["id"] == incident.pk
            assert feature["geometry"] == {"type": "Point", "coordinates": [-82.999, 39.9615]}
            properties = feature["properties"]
            assert properties["severity"] == "high"
            assert properties["description"] == "<b>Barrier pushed over</b>"
            assert properties["reported_by"]["name"] == "Bob Officer"
            assert properties["happened_at"] == properties["recorded_at"]
    finally:
        await alice_ws.disconnect()
        await carol_ws.disconnect()


async def test_a_key_moment_reaches_the_readers_of_its_channel_only(agreed_event, alice, bob,
                                                                    carol):
    alice_ws = await connect("alice", agreed_event)
    bob_ws = await connect("bob", agreed_event)
    try:
        official = await sync_to_async(say)(agreed_event, bob, "officials")
        public = await sync_to_async(say)(agreed_event, alice, "all")
        await sync_to_async(key_moments.mark_key_moment)(message=official, user=carol,
                                                         note="Held back")
        await sync_to_async(key_moments.mark_key_moment)(message=public, user=carol)

        frame, _ = await receive_until(bob_ws, "key_moment",
                                       where=lambda f: f["message_id"] == official.pk)
        assert frame == {"type": "key_moment", "message_id": official.pk, "marked": True,
                         "note": "Held back"}
        # Alice hears about the message she may read, and never about the officials' one.
        frame, skipped = await receive_until(alice_ws, "key_moment")
        assert frame["message_id"] == public.pk
        assert all(f.get("message_id") != official.pk for f in skipped)

        await sync_to_async(key_moments.unmark_key_moment)(message=public, user=carol)
        frame, skipped = await receive_until(alice_ws, "key_moment")
        assert frame == {"type": "key_moment", "message_id": public.pk, "marked": False,
                         "note": ""}
    finally:
        await alice_ws.disconnect()
        await bob_ws.disconnect()
