"""One member cannot silence the live channel for everyone (security finding 1).

mallory is a co-organiser of alice's demonstration who loops ``send`` frames whose body
cannot be stored (a lone surrogate, a NUL character). alice, bob (police) and carol (city)
keep talking: their messages are stored and answered, whatever mallory sends beside them.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from coordination.log import verify_event_log
from messaging import services
from messaging.models import Message
from messaging.services import MessageDraft, Refused, Stored
from messaging.writer import writer_for
from tests.support.ws import connect_to_event as connect
from tests.support.ws import receive_until

#: A lone surrogate, as the JSON escape ``\\ud800`` arrives after parsing: not Unicode, so
#: neither UTF-8 nor PostgreSQL can keep it.
SURROGATE = "\ud800"
#: PostgreSQL's text and jsonb refuse NUL.
NUL = "\x00"
#: The raw text of a poisoned frame, as a hostile script writes it.
POISONED_FRAME = ('{"type": "send", "channel": "all", "kind": "message", '
                  '"body": "jam \\ud800 jam", "client_id": "%s"}')


@pytest.fixture
def co_organisers(mallory) -> tuple[str, ...]:
    """mallory co-organises alice's demonstration (``agreed_event``)."""
    return ("mallory",)


def draft(sender, body: str) -> MessageDraft:
    return MessageDraft(sender=sender, kind="message", body=body, client_id=str(uuid.uuid4()))


@pytest.mark.django_db
@pytest.mark.parametrize("poison", [SURROGATE, NUL, f"x{NUL}y", f"end {SURROGATE}"])
def test_a_draft_the_database_cannot_keep_is_refused_to_its_sender_alone(
    agreed_event, alice, bob, carol, mallory, poison
):
    results = services.send_messages(event=agreed_event, channel="all", drafts=[
        draft(alice, "We gather at noon"), draft(mallory, poison), draft(bob, "Road closed"),
        draft(carol, "Noted"),
    ])
    refused = results[1]
    assert isinstance(refused, Refused) and refused.draft.sender == mallory
    assert isinstance(refused.reason, ValidationError) and "body" in refused.reason.message_dict
    assert [(r.message.seq, r.message.body) for r in (results[0], results[2], results[3])] == [
        (1, "We gather at noon"), (2, "Road closed"), (3, "Noted")]
    assert all(isinstance(r, Stored) for r in (results[0], results[2], results[3]))
    assert verify_event_log(agreed_event.pk).valid


@pytest.mark.django_db
def test_the_same_text_is_refused_over_http_and_over_the_service_alike(agreed_event, mallory, api):
    answer = api(mallory).post(f"/api/v1/events/{agreed_event.pk}/messages/",
                               POISONED_FRAME % uuid.uuid4(), content_type="application/json")
    assert answer.status_code == 400 and "body" in answer.json()
    with pytest.raises(ValidationError) as refused:
        services.validate_draft(draft(mallory, f"a{SURROGATE}"))
    assert "body" in refused.value.message_dict


@pytest.mark.django_db
def test_a_batch_that_fails_for_one_draft_still_stores_the_others(
    agreed_event, alice, bob, mallory, monkeypatch
):
    """Whatever slips past the checks and breaks the batch's transaction because of one
    draft (here a fault planted in building that one message), the others are stored."""
    build = services._new_message

    def faulty(room, *, draft, **kwargs):
        if draft.body == "the one that breaks":
            raise RuntimeError("cannot store this one")
        return build(room, draft=draft, **kwargs)

    monkeypatch.setattr(services, "_new_message", faulty)
    results = services.send_messages(event=agreed_event, channel="all", drafts=[
        draft(alice, "first"), draft(mallory, "the one that breaks"), draft(bob, "second"),
    ])
    assert isinstance(results[1], Refused) and isinstance(results[1].reason, RuntimeError)
    assert [(r.message.seq, r.message.body) for r in (results[0], results[2])] == [
        (1, "first"), (2, "second")]
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == [
        "first", "second"]
    assert verify_event_log(agreed_event.pk).valid


@pytest.mark.django_db(transaction=True)
async def test_poisoned_and_honest_sends_in_one_batch_each_get_their_own_answer(
    agreed_event, alice, bob, mallory
):
    room = await sync_to_async(services.get_channel)(agreed_event, "all")
    writer = writer_for(agreed_event, room)
    honest = [writer.submit(draft(alice, "a")), writer.submit(draft(bob, "b"))]
    poisoned = writer.submit(draft(mallory, SURROGATE))
    honest.append(writer.submit(draft(alice, "c")))
    with pytest.raises(ValidationError):
        await poisoned
    stored = [await f for f in honest]
    assert [(m.seq, m.body, created) for m, created in stored] == [
        (1, "a", True), (2, "b", True), (3, "c", True)]


@pytest.mark.django_db(transaction=True)
async def test_mallorys_poisoned_frame_is_refused_to_her_and_alices_message_goes_through(
    agreed_event
):
    alice, mallory = await connect("alice", agreed_event), await connect("mallory", agreed_event)
    client_id = str(uuid.uuid4())
    await mallory.send_to(text_data=POISONED_FRAME % client_id)
    await alice.send_json_to({"type": "send", "channel": "all", "kind": "message",
                              "body": "Still here", "client_id": str(uuid.uuid4())})
    error, _ = await receive_until(mallory, "error")
    assert error["code"] == "invalid" and error["client_id"] == client_id
    assert "body" in error["detail"]
    sent, skipped = await receive_until(alice, "sent")
    assert sent["seq"] == 1
    assert not [f for f in skipped if f["type"] == "error"]
    await alice.disconnect()
    await mallory.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_flood_of_refused_frames_is_throttled_like_a_flood_of_messages(
    agreed_event, settings
):
    settings.PARLEY_RATE_LIMIT_MESSAGES = 5
    mallory = await connect("mallory", agreed_event)
    codes = []
    for _ in range(7):
        await mallory.send_to(text_data=POISONED_FRAME % uuid.uuid4())
        error, _ = await receive_until(mallory, "error")
        codes.append(error["code"])
    assert codes == ["invalid"] * 5 + ["rate_limited"] * 2
    # Her refused frames count like messages: a good one now is throttled too.
    await mallory.send_json_to({"type": "send", "channel": "all", "kind": "message",
                                "body": "hello", "client_id": str(uuid.uuid4())})
    error, _ = await receive_until(mallory, "error")
    assert error["code"] == "rate_limited"
    assert not await sync_to_async(Message.objects.exists)()
    await mallory.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_refused_frames_of_other_kinds_count_too(agreed_event, settings):
    settings.PARLEY_RATE_LIMIT_MESSAGES = 3
    mallory = await connect("mallory", agreed_event)
    for raw in ("not json", '{"type": "nonsense"}', '{"type": "ack", "message_id": 999999}'):
        await mallory.send_to(text_data=raw)
        error, _ = await receive_until(mallory, "error")
        assert error["code"] != "rate_limited"
    await mallory.send_to(text_data='{"type": "nonsense"}')
    error, _ = await receive_until(mallory, "error")
    assert error["code"] == "rate_limited"
    await mallory.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_another_persons_refusals_do_not_throttle_alice(agreed_event, settings):
    settings.PARLEY_RATE_LIMIT_MESSAGES = 3
    alice, mallory = await connect("alice", agreed_event), await connect("mallory", agreed_event)
    for _ in range(5):
        await mallory.send_to(text_data=POISONED_FRAME % uuid.uuid4())
        await receive_until(mallory, "error")
    await asyncio.gather(*(alice.send_json_to({
        "type": "send", "channel": "all", "kind": "message", "body": f"m{n}",
        "client_id": str(uuid.uuid4())}) for n in range(3)))
    for _ in range(3):
        _sent, skipped = await receive_until(alice, "sent")
        assert not [f for f in skipped if f["type"] == "error"]
    await alice.disconnect()
    await mallory.disconnect()
