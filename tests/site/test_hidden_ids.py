"""An id that someone may not see answers exactly as an id that does not exist: a hostile
organiser who tries ids one by one learns nothing of other groups' demonstrations, zones,
messages or the officials' accounts. Compared byte for byte, the id itself aside.

Every route of the access matrix (``tests.site.test_access_matrix``) that takes an id is asked by
each caller to whom the matrix says a real object is 404, and again with an id that does not
exist; then every field that names an object by id (or a person by username) in a body or a
live-channel frame.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.db import transaction
from django.urls import reverse

from tests.site.test_access_matrix import (
    BODIES,
    SUBJECTS,
    _api_client,
    _page_client,
    matrix,
    paths,
)
from tests.site.test_access_matrix import world as world  # the matrix's world, as a fixture
from tests.support.factories import event_fields

MISSING = 999_999
#: Parts of a page that differ from one request to the next whatever was asked.
VOLATILE = [re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"'),
            re.compile(rb'data-csrf="[^"]*"'),
            # the reader's own id (templates/base.html), which may equal the object's
            re.compile(rb'<meta name="parley-user" content="[^"]*">'),
            # what a form writes back holds numbers an id may equal: "+1 614 555 0100",
            # "02:37:17"
            re.compile(rb'name="contact_phone" value="[^"]*"'),
            re.compile(rb'value="\d{4}-\d\d-\d\d[ T][^"]*"')]


def answer(response, *ids: int) -> tuple:
    """Status, content type and body, with the ids asked for written as ``{id}``."""
    body = response.content
    for pattern in VOLATILE:
        body = pattern.sub(b"", body)
    for number in ids:  # as a word of its own: not the 1 of "initial-scale=1"
        body = re.sub(rb"(?<![\w.=-])%d(?![\w.])" % number, b"{id}", body)
    return response.status_code, response.get("Content-Type"), body


def ask(world, subject: str, name: str, method: str, pk: int, **other_kwargs):
    """``subject``'s answer to ``method`` on route ``name`` for id ``pk`` (a savepoint,
    rolled back); ``other_kwargs``: the URL's other parts (a member's username)."""
    is_api = name.startswith("api:")
    client = (_api_client(world["apis"][subject]) if is_api
              else _page_client(world["pages"][subject]))
    body = BODIES.get((name, method, "event")) or BODIES.get((name, method, "zone")) or {}
    body = body if isinstance(body, dict) else {}
    url = reverse(name, kwargs={"pk": pk, **other_kwargs})
    with transaction.atomic():
        try:
            call = getattr(client, method.lower())
            if method == "GET":
                return call(url)
            return call(url, body, format="json") if is_api else call(url, body)
        finally:
            transaction.set_rollback(True)


@pytest.mark.slow
def test_every_route_answers_a_hidden_id_as_it_answers_a_missing_one(world):
    """Where the matrix says 404 for a real object, that 404 is the missing id's, exactly."""
    with_ids = {name for name, path in paths().items() if "{pk}" in path}
    compared, different = 0, []
    for name, method, target, codes in matrix():
        kwargs = dict(world["targets"].get(target.partition("?")[0], {}))
        pk = kwargs.pop("pk", None)
        if name not in with_ids or pk is None or target == "missing":
            continue
        for subject in SUBJECTS:
            if codes[subject] != 404:
                continue
            hidden = answer(ask(world, subject, name, method, pk, **kwargs), pk)
            missing = answer(ask(world, subject, name, method, MISSING, **kwargs), MISSING)
            compared += 1
            if hidden != missing:
                different.append(f"{name} {method} {target} as {subject}:\n"
                                 f"  hidden:  {hidden!r:.300}\n  missing: {missing!r:.300}")
    assert different == [], "\n".join(different)
    assert compared >= 40  # every id-taking route, by more than one caller


# --- ids and usernames in bodies and frames -------------------------------------------------


@pytest.fixture
def others(alices_event, alice, bob, carol, mallory):
    """Mallory's demonstration (Alice may not see it) with a message; an officials' message
    in Alice's (Alice may not read that channel); an id that exists nowhere."""
    from events import services
    from tests.support.review import say

    mallorys = services.register_event(organiser=mallory, **event_fields(title="Vigil"))
    services.transition_event(mallorys, to="submitted", actor=mallory)
    services.add_member(mallorys, username="carol", actor=carol)
    return {
        "event": mallorys,
        "message": say(mallorys, carol, "Welcome."),
        "officials": say(alices_event, bob, "Two units on standby.", channel="officials"),
    }


def register(client, **fields):
    from tests.support.zones import iso

    body = {key: (iso(value) if hasattr(value, "isoformat") else value)
            for key, value in event_fields(**fields).items()}
    body["assembly_point"] = {"type": "Point", "coordinates": [-82.9988, 39.9612]}
    return client.post("/api/v1/events/", body, format="json")


def test_counter_to_answers_a_hidden_demonstration_as_a_missing_one(others, alice, api):
    hidden_id = others["event"].pk
    client = api(alice)

    hidden = register(client, kind="counter", counter_to=hidden_id)
    missing = register(client, kind="counter", counter_to=MISSING)

    assert hidden.status_code == missing.status_code == 400
    assert answer(hidden, hidden_id) == answer(missing, MISSING)
    assert missing.json() == {"counter_to": ["No such demonstration."]}


def test_counter_to_in_an_edit_answers_a_hidden_demonstration_as_a_missing_one(others, alice,
                                                                             api):
    from events import services

    draft = services.register_event(organiser=alice, **event_fields(title="Draft"))
    url = f"/api/v1/events/{draft.pk}/"
    hidden_id = others["event"].pk

    hidden = api(alice).patch(url, {"kind": "counter", "counter_to": hidden_id}, format="json")
    missing = api(alice).patch(url, {"kind": "counter", "counter_to": MISSING}, format="json")

    assert hidden.status_code == 400
    assert answer(hidden, hidden_id) == answer(missing, MISSING)


@pytest.mark.parametrize("value", ["1e3", True, [1], -5, 2**70])
def test_counter_to_that_is_no_id_at_all_is_refused_without_a_server_error(value, alice, api):
    response = register(api(alice), kind="counter", counter_to=value)

    assert response.status_code == 400
    assert list(response.json()) == ["counter_to"]


def test_the_registration_page_answers_a_hidden_demonstration_as_a_missing_one(others, alice,
                                                                               client):
    from tests.support.accounts import log_in

    log_in(client, alice)
    fields = {key: value for key, value in event_fields(kind="counter").items()
              if not hasattr(value, "geom_type")}
    fields.update(assembly_point='{"type": "Point", "coordinates": [-82.9988, 39.9612]}')
    hidden_id = others["event"].pk

    hidden = client.post("/events/new/", {**fields, "counter_to": hidden_id})
    missing = client.post("/events/new/", {**fields, "counter_to": MISSING})

    assert hidden.status_code == 200  # the form again, with the error
    assert answer(hidden, hidden_id) == answer(missing, MISSING)


@pytest.mark.parametrize("kind", ["message", "officials"])
def test_a_reply_to_a_message_one_cannot_read_is_answered_as_a_missing_one(kind, others,
                                                                          alices_event,
                                                                          alice, api):
    hidden_id = others[kind].pk
    url = f"/api/v1/events/{alices_event.pk}/messages/"

    def send(reply_to):
        return api(alice).post(url, {"channel": "all", "body": "Agreed.", "reply_to": reply_to,
                                     "client_id": str(uuid.uuid4())}, format="json")

    hidden, missing = send(hidden_id), send(MISSING)

    assert hidden.status_code == 400
    assert answer(hidden, hidden_id) == answer(missing, MISSING)


def test_an_organiser_adding_an_officials_username_learns_no_more_than_for_no_one(
        alices_event, alice, bob, api):
    url = f"/api/v1/events/{alices_event.pk}/members/"
    from tests.support.factories import make_user

    make_user("ghost", "organiser", is_active=False)

    answers = {name: api(alice).post(url, {"username": name}, format="json")
               for name in ("bob", "carol", "ghost", "nobody-at-all")}

    assert {response.status_code for response in answers.values()} == {400}
    assert len({response.content for response in answers.values()}) == 1
    assert answers["bob"].json() == {"username": ["No organiser has this username."]}


def test_the_member_page_answers_an_officials_username_as_an_unknown_one(alices_event, alice,
                                                                         client):
    from tests.support.accounts import log_in

    log_in(client, alice)
    url = f"/events/{alices_event.pk}/members/"

    official = client.post(url, {"username": "bob"}, follow=True)
    unknown = client.post(url, {"username": "nobody-at-all"}, follow=True)

    assert answer(official) == answer(unknown)


@pytest.mark.django_db(transaction=True)
async def test_an_ack_of_a_message_one_cannot_read_is_answered_as_a_missing_one(
        others, alices_event):
    from asgiref.sync import sync_to_async

    from tests.support.ws import connect_to_event, receive_until

    hidden_ids = [others["officials"].pk, others["message"].pk]
    ws = await connect_to_event("alice", alices_event)
    try:
        answers = []
        for message_id in [*hidden_ids, MISSING]:
            await ws.send_json_to({"type": "ack", "message_id": message_id})
            frame, _ = await receive_until(ws, "error")
            answers.append(frame)
        for frame, message_id in zip(answers, [*hidden_ids, MISSING], strict=True):
            frame["detail"] = frame["detail"].replace(str(message_id), "{id}")
        assert answers[0] == answers[1] == answers[2]
    finally:
        await ws.disconnect()
    assert await sync_to_async(others["officials"].acknowledgements.count)() == 0


@pytest.mark.django_db(transaction=True)
async def test_a_reply_over_the_live_channel_to_a_hidden_message_is_answered_as_a_missing_one(
        others, alices_event):
    from tests.support.ws import connect_to_event, receive_until

    ws = await connect_to_event("alice", alices_event)
    try:
        await ws.send_json_to({"type": "subscribe", "channel": "all"})
        await receive_until(ws, "subscribed")
        answers = []
        for reply_to in (others["officials"].pk, others["message"].pk, MISSING):
            client_id = str(uuid.uuid4())
            await ws.send_json_to({"type": "send", "channel": "all", "body": "Yes.",
                                   "client_id": client_id, "reply_to": reply_to})
            frame, _ = await receive_until(ws, "error")
            frame.pop("client_id", None)
            answers.append(frame)
        assert answers[0] == answers[1] == answers[2]
    finally:
        await ws.disconnect()


@pytest.mark.parametrize("sender", ["alice", "bob"])
def test_a_standard_instruction_out_of_use_is_answered_as_a_missing_one(sender, alices_event,
                                                                       alice, bob, api):
    from messaging.models import StandardInstruction

    retired = StandardInstruction.objects.create(label="Old", texts={"en": "Move on."},
                                                 active=False)
    url = f"/api/v1/events/{alices_event.pk}/messages/"
    channel = "officials" if sender == "bob" else "all"
    client = api({"alice": alice, "bob": bob}[sender])

    def send(instruction):
        return client.post(url, {"channel": channel, "kind": "instruction",
                                 "standard_instruction": instruction,
                                 "client_id": str(uuid.uuid4())}, format="json")

    retired_answer, missing = send(retired.pk), send(MISSING)

    assert retired_answer.status_code in (400, 403)
    assert answer(retired_answer, retired.pk) == answer(missing, MISSING)
