"""Sends that arrive together are stored together (group commit), each with its own answer.

alice organises the demonstration; bob (police) and carol (city) are its officials;
mallory organises another one.
"""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from coordination.errors import RateLimited
from coordination.log import verify_event_log
from coordination.models import LogEntry
from messaging import services
from messaging.models import Message
from messaging.services import MessageDraft, Refused, Stored
from messaging.writer import writer_for


def draft(sender, body="Hello", **fields):
    return MessageDraft(sender=sender, kind=fields.pop("kind", "message"), body=body,
                        client_id=fields.pop("client_id", str(uuid.uuid4())), **fields)


@pytest.mark.django_db
def test_messages_sent_together_get_consecutive_seqs_and_log_entries_in_order(
    agreed_event, alice, bob, carol
):
    results = services.send_messages(event=agreed_event, channel="all", drafts=[
        draft(alice, "We gather at noon"), draft(bob, "Road closed"), draft(carol, "Noted"),
    ])
    assert [(r.message.seq, r.message.body, r.created) for r in results] == [
        (1, "We gather at noon", True), (2, "Road closed", True), (3, "Noted", True)]
    sent = LogEntry.objects.filter(event=agreed_event, kind="message.sent").order_by("seq")
    assert [e.data["seq"] for e in sent] == [1, 2, 3]
    assert [e.actor["name"] for e in sent] == ["Alice Martin", "Bob Officer", "Carol City"]
    assert verify_event_log(agreed_event.pk).valid


@pytest.mark.django_db
def test_a_refused_message_does_not_stop_the_others_sent_with_it(
    agreed_event, alice, bob, mallory, settings
):
    settings.PARLEY_RATE_LIMIT_MESSAGES = 1
    results = services.send_messages(event=agreed_event, channel="all", drafts=[
        draft(alice, "first"), draft(alice, "one too many"), draft(bob, "   "),
        draft(mallory, "not my demonstration"), draft(bob, "second"),
    ])
    match results:
        case [Stored(), Refused(reason=RateLimited()), Refused(reason=ValidationError() as empty),
              Refused(reason=PermissionDenied()), Stored()]:
            assert "body" in empty.message_dict
        case _:
            pytest.fail(f"Unexpected results: {results}")
    assert [r.draft.body for r in results if isinstance(r, Refused)] == [
        "one too many", "   ", "not my demonstration"]
    stored = [(r.message.seq, r.message.body) for r in results if isinstance(r, Stored)]
    assert stored == [(1, "first"), (2, "second")]
    assert verify_event_log(agreed_event.pk).valid


@pytest.mark.django_db
def test_the_same_client_id_twice_in_one_batch_is_stored_once(agreed_event, bob):
    client_id = str(uuid.uuid4())
    first, again = services.send_messages(event=agreed_event, channel="all", drafts=[
        draft(bob, "Road closed", client_id=client_id),
        draft(bob, "Road closed", client_id=client_id),
    ])
    assert first.created is True
    assert (again.message, again.created) == (first.message, False)
    assert Message.objects.filter(sender=bob).count() == 1


@pytest.mark.django_db
def test_a_retry_of_a_stored_message_in_a_batch_returns_the_first_result(agreed_event, bob):
    client_id = str(uuid.uuid4())
    original, _ = services.send_message(event=agreed_event, sender=bob, channel="all",
                                        kind="message", body="Road closed",
                                        client_id=client_id)
    (retry, new) = services.send_messages(event=agreed_event, channel="all", drafts=[
        draft(bob, "Road closed", client_id=client_id), draft(bob, "Detour via Elm St"),
    ])
    assert (retry.message, retry.created) == (original, False)
    assert (new.message.seq, new.created) == (2, True)


@pytest.mark.django_db(transaction=True)
async def test_sends_waiting_for_the_same_channel_are_stored_in_one_transaction(
    agreed_event, alice, bob, carol
):
    room = await sync_to_async(services.get_channel)(agreed_event, "all")
    writer = writer_for(agreed_event, room)
    calls = []
    original = services.send_messages

    def counting(**kwargs):
        calls.append(len(kwargs["drafts"]))
        return original(**kwargs)

    services.send_messages = counting
    try:
        results = await asyncio.wait_for(asyncio.gather(*(
            writer.send(draft(sender, f"m{n}"))
            for n, sender in enumerate([alice, bob, carol, bob, alice])
        )), timeout=10)
    finally:
        services.send_messages = original
    assert sorted(m.seq for m, _created in results) == [1, 2, 3, 4, 5]
    # All five were waiting before the writer started: one transaction stored them all.
    assert calls == [5]


@pytest.mark.django_db
def test_a_retry_after_reaching_the_rate_limit_still_gets_its_first_answer(
    agreed_event, bob, settings
):
    settings.PARLEY_RATE_LIMIT_MESSAGES = 1
    client_id = str(uuid.uuid4())
    original, _ = services.send_message(event=agreed_event, sender=bob, channel="all",
                                        kind="message", body="Road closed",
                                        client_id=client_id)
    again = services.send_message(event=agreed_event, sender=bob, channel="all",
                                  kind="message", body="Road closed", client_id=client_id)
    assert again == (original, False)
    with pytest.raises(RateLimited):
        services.send_message(event=agreed_event, sender=bob, channel="all", kind="message",
                              body="Another one", client_id=str(uuid.uuid4()))
