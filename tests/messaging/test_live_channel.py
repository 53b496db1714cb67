"""The live channel, spoken to as a client would (docs/protocol.md, "The live channel").

alice organises the demonstration; bob (police) and carol (city) are its officials;
mallory organises another one.
"""

import asyncio
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.utils import timezone

from config.asgi import application
from events import services as event_services
from events.models import EventMembership
from messaging import selectors, services
from messaging.models import Acknowledgement, Channel, Message
from tests.support.ws import communicator, receive_until, session_cookie_for
from tests.support.ws import connect_to_event as connect

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribe(ws, channel="all", after_seq=0):
    await ws.send_json_to({"type": "subscribe", "channel": channel, "after_seq": after_seq})
    subscribed, before = await receive_until(ws, "subscribed")
    return subscribed, [f for f in before if f["type"] == "message"]


def send_frame(body="Hello", channel="all", kind="message", client_id=None, **extra):
    return {"type": "send", "channel": channel, "kind": kind, "body": body,
            "client_id": client_id or str(uuid.uuid4()), **extra}


def store_without_announcing(event, sender, body: str) -> None:
    """Store the next message of ``all`` with no notification on the channel layer."""
    channel = services.get_channel(event, "all")
    Channel.objects.filter(pk=channel.pk).update(last_seq=channel.last_seq + 1)
    Message.objects.create(channel=channel, seq=channel.last_seq + 1, sender=sender,
                           kind="message", body=body, client_id=uuid.uuid4(),
                           sent_at=timezone.now())


async def assert_still_usable(ws):
    await ws.send_json_to({"type": "ping"})
    await receive_until(ws, "pong")


async def test_organiser_message_reaches_police_with_the_next_seq(agreed_event):
    alice, bob = await connect("alice", agreed_event), await connect("bob", agreed_event)
    await subscribe(alice)
    await subscribe(bob)
    frame = send_frame("We are gathering at the steps")
    await alice.send_json_to(frame)
    sent, _ = await receive_until(alice, "sent")
    assert sent["client_id"] == frame["client_id"] and sent["seq"] == 1
    message, _ = await receive_until(bob, "message")
    assert message["seq"] == 1 and message["id"] == sent["id"]
    assert message["body"] == "We are gathering at the steps"
    assert message["sender"] == {"id": message["sender"]["id"], "name": "Alice Martin",
                                 "role": "organiser"}
    assert message["channel"] == "all" and message["kind"] == "message"
    await alice.disconnect()
    await bob.disconnect()


async def test_organiser_cannot_read_or_write_the_officials_channel(agreed_event):
    alice = await connect("alice", agreed_event)
    await alice.send_json_to({"type": "subscribe", "channel": "officials", "after_seq": 0})
    error, _ = await receive_until(alice, "error")
    assert error["code"] == "forbidden"
    frame = send_frame(channel="officials")
    await alice.send_json_to(frame)
    error, _ = await receive_until(alice, "error")
    assert error["code"] == "forbidden" and error["client_id"] == frame["client_id"]
    assert not await sync_to_async(Message.objects.exists)()
    await assert_still_usable(alice)
    await alice.disconnect()


async def test_officials_channel_reaches_police_and_city_but_not_organisers(agreed_event):
    alice, bob = await connect("alice", agreed_event), await connect("bob", agreed_event)
    carol = await connect("carol", agreed_event)
    await subscribe(alice)
    await subscribe(bob, "officials")
    await subscribe(carol, "officials")
    await bob.send_json_to(send_frame("Officials only", channel="officials"))
    message, _ = await receive_until(carol, "message")
    assert message["channel"] == "officials" and message["body"] == "Officials only"
    await carol.send_json_to(send_frame("To everyone"))
    # alice's next message frame is the one for everyone: the officials' one never came
    message, skipped = await receive_until(alice, "message")
    assert message["body"] == "To everyone"
    assert all(f.get("channel") != "officials" for f in skipped)
    for ws in (alice, bob, carol):
        await ws.disconnect()


async def test_subscribe_replays_missed_messages_in_order_then_goes_live(agreed_event, bob):
    for n in range(1, 5):
        await sync_to_async(services.send_message)(
            event=agreed_event, sender=bob, channel="all", kind="message", body=f"m{n}",
            client_id=uuid.uuid4())
    alice = await connect("alice", agreed_event)
    subscribed, replayed = await subscribe(alice, after_seq=1)
    assert [f["seq"] for f in replayed] == [2, 3, 4]
    assert [f["body"] for f in replayed] == ["m2", "m3", "m4"]
    assert subscribed == {"type": "subscribed", "channel": "all", "head_seq": 4}
    await sync_to_async(services.send_message)(
        event=agreed_event, sender=bob, channel="all", kind="message", body="m5",
        client_id=uuid.uuid4())
    live, _ = await receive_until(alice, "message")
    assert live["seq"] == 5
    await alice.disconnect()


async def test_a_lost_notification_is_filled_in_from_the_database(agreed_event, bob):
    alice = await connect("alice", agreed_event)
    await subscribe(alice)

    # As if the notification of seq 1 had been lost in the channel layer.
    await sync_to_async(store_without_announcing)(agreed_event, bob, "lost")
    await sync_to_async(services.send_message)(
        event=agreed_event, sender=bob, channel="all", kind="message", body="after",
        client_id=uuid.uuid4())
    first, _ = await receive_until(alice, "message")
    second, _ = await receive_until(alice, "message")
    assert [(first["seq"], first["body"]), (second["seq"], second["body"])] == [
        (1, "lost"), (2, "after")]
    await alice.disconnect()


async def test_sends_from_one_client_go_to_the_database_together_and_are_answered_in_order(
    agreed_event, monkeypatch
):
    import threading

    from messaging import writer as writers

    first_batch_may_go = threading.Event()
    batches = []
    original = services.send_messages

    def held_first_batch(**kwargs):
        batches.append([d.body for d in kwargs["drafts"]])
        if len(batches) == 1:
            first_batch_may_go.wait(timeout=10)  # the database is slow to answer the first
        return original(**kwargs)

    monkeypatch.setattr(services, "send_messages", held_first_batch)
    bob = await connect("bob", agreed_event)
    await subscribe(bob)
    frames = [send_frame(f"update {n}") for n in range(1, 6)]
    for frame in frames:
        await bob.send_json_to(frame)
    await bob.send_json_to({"type": "ping"})

    def stored_or_waiting() -> int:
        in_database = sum(len(batch) for batch in batches)
        return in_database + sum(len(w.waiting) for w in writers._writers.values())

    async def all_five_read():
        while stored_or_waiting() < 5:
            await asyncio.sleep(0.01)

    # bob's sends all reach the writer while the first batch is still in the database...
    await asyncio.wait_for(all_five_read(), timeout=5)
    first_batch_may_go.set()
    answers = []
    while len(answers) < 6:
        frame = await bob.receive_json_from(timeout=5)
        if frame["type"] in ("sent", "pong"):
            answers.append(frame)
    # ...and go in at most two transactions; the answers come in the order the frames came.
    assert len(batches) <= 2
    assert [body for batch in batches for body in batch] == [f["body"] for f in frames]
    assert [(a["type"], a.get("client_id"), a.get("seq")) for a in answers] == [
        *[("sent", f["client_id"], n) for n, f in enumerate(frames, start=1)],
        ("pong", None, None)]
    await bob.disconnect()


async def test_a_send_waiting_for_the_database_does_not_hold_up_what_others_say(
    agreed_event, monkeypatch
):
    from messaging.consumers import EventChannelConsumer

    database_answers = asyncio.Event()
    original_submit = EventChannelConsumer._submit_send

    async def slow_submit(self, content):
        if self.user.username == "bob":
            await database_answers.wait()  # bob's write is stuck behind others in the database
        return await original_submit(self, content)

    monkeypatch.setattr(EventChannelConsumer, "_submit_send", slow_submit)
    alice, bob = await connect("alice", agreed_event), await connect("bob", agreed_event)
    await subscribe(alice)
    await subscribe(bob)
    await bob.send_json_to(send_frame("Road closed at the bridge"))
    await alice.send_json_to(send_frame("We are turning left"))
    message, _ = await receive_until(bob, "message")
    assert message["body"] == "We are turning left"
    database_answers.set()
    sent, _ = await receive_until(bob, "sent")
    assert sent["seq"] == 2
    await alice.disconnect()
    await bob.disconnect()


async def test_a_message_stored_during_the_replay_follows_it_without_a_gap(
    agreed_event, bob, monkeypatch
):
    for n in (1, 2):
        await sync_to_async(services.send_message)(
            event=agreed_event, sender=bob, channel="all", kind="message", body=f"m{n}",
            client_id=uuid.uuid4())
    original = selectors.message_frames_between

    def replay_while_bob_writes(*args, **kwargs):
        frames = original(*args, **kwargs)
        services.send_message(event=agreed_event, sender=bob, channel="all", kind="message",
                              body="m3", client_id=uuid.uuid4())
        return frames

    monkeypatch.setattr(selectors, "message_frames_between", replay_while_bob_writes)
    alice = await connect("alice", agreed_event)
    subscribed, replayed = await subscribe(alice)
    assert [f["body"] for f in replayed] == ["m1", "m2"] and subscribed["head_seq"] == 2
    live, _ = await receive_until(alice, "message")
    assert (live["seq"], live["body"]) == (3, "m3")
    await alice.disconnect()


async def test_a_lost_notification_with_nothing_after_it_is_caught_up_from_the_database(
    agreed_event, bob, settings
):
    settings.PARLEY_CATCH_UP_SECONDS = 0.3
    alice = await connect("alice", agreed_event)
    await subscribe(alice)

    # As if the channel layer had been down when seq 1 was announced.
    await sync_to_async(store_without_announcing)(agreed_event, bob,
                                                  "said while Redis restarted")
    message, _ = await receive_until(alice, "message")
    assert (message["seq"], message["body"]) == (1, "said while Redis restarted")
    await alice.disconnect()


async def test_same_client_id_returns_the_first_result_and_stores_nothing_new(agreed_event):
    alice = await connect("alice", agreed_event)
    await subscribe(alice)
    frame = send_frame("Once only")
    await alice.send_json_to(frame)
    first, _ = await receive_until(alice, "sent")
    await alice.send_json_to(frame)
    second, _ = await receive_until(alice, "sent")
    assert first == second
    assert await sync_to_async(Message.objects.count)() == 1
    await alice.disconnect()


@pytest.mark.parametrize(("raw", "code"), [
    ("not json", "bad_frame"),
    ("[1, 2]", "bad_frame"),
    ('{"type": "dance"}', "bad_frame"),
    ('{"no_type": true}', "bad_frame"),
    ('{"type": "subscribe"}', "invalid"),
    ('{"type": "subscribe", "channel": "all", "after_seq": "ten"}', "invalid"),
    ('{"type": "subscribe", "channel": "all", "after_seq": 1e400}', "invalid"),
    ('{"type": "subscribe", "channel": "all", "after_seq": 99999999999999999999999}', "invalid"),
    ('{"type": "subscribe", "channel": "all", "after_seq": -1}', "invalid"),
    ('{"type": "send", "channel": "all", "body": "hi"}', "invalid"),
    (json.dumps(send_frame(42)), "invalid"),
    (json.dumps(send_frame(kind="shout")), "invalid"),
    (json.dumps(send_frame(client_id="not-a-uuid")), "invalid"),
    (json.dumps(send_frame("x" * 4001)), "too_large"),
    (json.dumps({"type": "ping", "pad": "x" * 70000}), "too_large"),
    ('{"type": "ack", "message_id": "1"}', "invalid"),
    ('{"type": "ack", "message_id": 424242}', "invalid"),
])
async def test_every_refused_frame_gets_an_error_and_the_connection_stays_usable(
    agreed_event, raw, code
):
    alice = await connect("alice", agreed_event)
    await alice.send_to(text_data=raw)
    error, _ = await receive_until(alice, "error")
    assert error["code"] == code, error
    assert "Traceback" not in error["detail"]
    await assert_still_usable(alice)
    await alice.disconnect()


async def test_sender_is_rate_limited_after_twenty_messages_in_ten_seconds(agreed_event):
    alice = await connect("alice", agreed_event)
    for n in range(20):
        await alice.send_json_to(send_frame(f"m{n}"))
        await receive_until(alice, "sent")
    await alice.send_json_to(send_frame("one too many"))
    error, _ = await receive_until(alice, "error")
    assert error["code"] == "rate_limited"
    assert await sync_to_async(Message.objects.count)() == 20
    await assert_still_usable(alice)
    await alice.disconnect()


async def test_instruction_is_acknowledged_and_everyone_sees_who_has_not_yet(agreed_event):
    alice, bob = await connect("alice", agreed_event), await connect("bob", agreed_event)
    await subscribe(alice)
    await subscribe(bob)
    await bob.send_json_to(send_frame("Please move to the assembly area", kind="instruction"))
    message, _ = await receive_until(alice, "message")
    assert message["kind"] == "instruction"
    assert {p["name"] for p in message["awaiting"]} == {"Alice Martin", "Carol City"}
    await alice.send_json_to({"type": "ack", "message_id": message["id"]})
    acked, _ = await receive_until(bob, "acked")
    assert acked["message_id"] == message["id"] and acked["user"]["name"] == "Alice Martin"
    await receive_until(alice, "acked")
    await alice.send_json_to({"type": "ack", "message_id": message["id"]})  # twice: no harm
    again, _ = await receive_until(alice, "acked")  # answered to her alone, with the first
    assert (again["message_id"], again["at"]) == (message["id"], acked["at"])
    await assert_still_usable(alice)
    assert await sync_to_async(Acknowledgement.objects.count)() == 1
    replay = await sync_to_async(selectors.message_frames_between)(
        agreed_event.pk, "all", after_seq=0)
    assert [a["user"]["name"] for a in replay[0]["acks"]] == ["Alice Martin"]
    assert [p["name"] for p in replay[0]["awaiting"]] == ["Carol City"]
    await alice.disconnect()
    await bob.disconnect()


async def test_a_client_coming_back_hears_of_acknowledgements_given_while_it_was_away(
    agreed_event
):
    bob, carol = await connect("bob", agreed_event), await connect("carol", agreed_event)
    await subscribe(bob)
    await bob.send_json_to(send_frame("Please keep the entrance clear", kind="instruction"))
    instruction, _ = await receive_until(bob, "message")
    await bob.disconnect()  # bob's phone loses the network
    await subscribe(carol)
    await carol.send_json_to({"type": "ack", "message_id": instruction["id"]})
    await receive_until(carol, "acked")

    bob = await connect("bob", agreed_event)
    subscribed, before = await receive_until_subscribed(bob, after_seq=1)
    acked = [f for f in before if f["type"] == "acked"]
    assert [(a["message_id"], a["user"]["name"]) for a in acked] == [
        (instruction["id"], "Carol City")]
    assert subscribed["head_seq"] == 1
    await bob.disconnect()
    await carol.disconnect()


async def receive_until_subscribed(ws, *, after_seq: int, channel: str = "all"):
    await ws.send_json_to({"type": "subscribe", "channel": channel, "after_seq": after_seq})
    return await receive_until(ws, "subscribed")


async def test_unacknowledged_alert_is_shown_again_until_acknowledged(agreed_event, settings):
    settings.PARLEY_ALERT_REMINDER_SECONDS = 0.3
    alice, bob = await connect("alice", agreed_event), await connect("bob", agreed_event)
    await subscribe(alice)
    await bob.send_json_to(send_frame("Crowd surge at the north gate", kind="alert"))
    message, _ = await receive_until(alice, "message")
    reminder, _ = await receive_until(alice, "reminder", timeout=5)
    assert reminder["message"]["id"] == message["id"]
    await alice.send_json_to({"type": "ack", "message_id": message["id"]})
    await receive_until(alice, "acked")
    # After the acknowledgement no more reminders: the next frame we provoke is the pong.
    settings.PARLEY_ALERT_REMINDER_SECONDS = 0.3
    await alice.send_json_to({"type": "ping"})
    _pong, skipped = await receive_until(alice, "pong")
    assert all(f["type"] != "reminder" or f["message"]["id"] != message["id"]
               for f in skipped[1:])
    await alice.disconnect()
    await bob.disconnect()


async def test_removed_member_is_closed_with_4403_on_next_send(agreed_event):
    bob = await connect("bob", agreed_event)
    await subscribe(bob)
    await sync_to_async(EventMembership.objects.filter(user__username="bob").delete)()
    await bob.send_json_to(send_frame("still here?"))
    close, _ = await receive_until_close(bob)
    assert close["code"] == 4403
    assert not await sync_to_async(Message.objects.exists)()


async def test_user_deactivated_without_a_signal_is_closed_with_4401_by_the_periodic_check(
        agreed_event, settings):
    # QuerySet.update() sends no signal, so no notice: the periodic check is the safety net
    # (a deactivation by save() closes at once: tests/messaging/test_member_removal.py).
    settings.PARLEY_MEMBERSHIP_CHECK_SECONDS = 0.2
    alice = await connect("alice", agreed_event)
    await sync_to_async(get_user_model().objects.filter(username="alice").update)(
        is_active=False)
    close, _ = await receive_until_close(alice, timeout=5)
    assert close["code"] == 4401


async def receive_until_close(ws, timeout=5):
    skipped = []
    while True:
        output = await ws.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output, skipped
        skipped.append(output)


async def test_state_changes_arrive_as_state_frames(agreed_event, carol):
    alice = await connect("alice", agreed_event)
    await sync_to_async(event_services.transition_event)(agreed_event, to="live", actor=carol)
    state, _ = await receive_until(alice, "state")
    assert state == {"type": "state", "event": agreed_event.pk, "state": "live"}
    await alice.disconnect()


async def test_presence_lists_everyone_connected_and_drops_who_leaves(agreed_event):
    alice = await connect("alice", agreed_event)
    bob = await connect("bob", agreed_event)
    both, _ = await receive_until(
        alice, "presence", where=lambda f: len(f["online"]) == 2)
    assert {p["name"] for p in both["online"]} == {"Alice Martin", "Bob Officer"}
    await bob.disconnect()
    alone, _ = await receive_until(alice, "presence", where=lambda f: len(f["online"]) == 1)
    assert alone["online"][0]["name"] == "Alice Martin"
    await alice.disconnect()


async def test_script_without_origin_must_use_a_ticket_not_the_session_cookie(agreed_event):
    bob_user = await sync_to_async(get_user_model().objects.get)(username="bob")
    cookie = await sync_to_async(session_cookie_for)(bob_user)
    ws = communicator(application, f"/ws/events/{agreed_event.pk}/", origin=None, cookie=cookie)
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_output(timeout=5))["code"] == 4401
    await ws.disconnect()

    ticket, _expires = await sync_to_async(services.issue_ticket)(user=bob_user)
    path = f"/ws/events/{agreed_event.pk}/?ticket={ticket}"
    ws = communicator(application, path, origin=None)
    connected, _ = await ws.connect()
    assert connected
    await assert_still_usable(ws)
    await ws.disconnect()

    again = communicator(application, path, origin=None)  # single use
    connected, _ = await again.connect()
    assert (await again.receive_output(timeout=5))["code"] == 4401
    await again.disconnect()


async def test_expired_ticket_is_refused(agreed_event):
    import datetime as dt

    from messaging.models import ConnectionTicket

    bob_user = await sync_to_async(get_user_model().objects.get)(username="bob")
    ticket, _expires = await sync_to_async(services.issue_ticket)(user=bob_user)
    await sync_to_async(ConnectionTicket.objects.update)(
        expires_at=_expires - dt.timedelta(seconds=61))
    ws = communicator(application, f"/ws/events/{agreed_event.pk}/?ticket={ticket}",
                      origin=None)
    await ws.connect()
    assert (await ws.receive_output(timeout=5))["code"] == 4401
    await ws.disconnect()


async def test_police_officer_not_assigned_to_the_event_is_closed_with_4403(agreed_event):
    await sync_to_async(get_user_model().objects.create_user)(
        username="erin", password="x", role="police")
    erin = await connect("erin", agreed_event)
    assert (await erin.receive_output(timeout=5))["code"] == 4403
    await erin.disconnect()


async def test_message_bodies_travel_as_plain_text(agreed_event):
    alice = await connect("alice", agreed_event)
    await subscribe(alice)
    payload = '<script>alert("x")</script>'
    await alice.send_json_to(send_frame(payload))
    message, _ = await receive_until(alice, "message")
    assert message["body"] == payload  # escaping is the page's job; the data is untouched
    raw = json.dumps(message)
    assert "<script>" in raw
    await alice.disconnect()


async def test_the_live_channel_counts_what_it_stores_delivers_and_resumes(agreed_event):
    from prometheus_client import REGISTRY

    def count(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0

    before = {name: count(name) for name in (
        "parley_messages_stored_total", "parley_messages_delivered_total",
        "parley_resumes_total")}
    alice, bob = await connect("alice", agreed_event), await connect("bob", agreed_event)
    await subscribe(alice)
    await subscribe(bob)
    await bob.send_json_to(send_frame("Road closed at the bridge"))
    await receive_until(alice, "message")
    await receive_until(bob, "message")
    await alice.disconnect()
    alice = await connect("alice", agreed_event)
    await subscribe(alice, after_seq=1)
    assert count("parley_messages_stored_total") - before["parley_messages_stored_total"] == 1
    assert count("parley_messages_delivered_total") - before[
        "parley_messages_delivered_total"] == 2
    assert count("parley_resumes_total") - before["parley_resumes_total"] == 1
    await alice.disconnect()
    await bob.disconnect()

