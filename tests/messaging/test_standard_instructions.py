"""Standard instructions: the city keeps ready instructions with a text per language; police
and city send one in two clicks, and every reader gets it in their own language (issue 7).

alice organises the demonstration and reads French; bob (police) reads English; carol is the
city official who keeps the instructions.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from coordination.models import LogEntry
from messaging import services
from messaging.models import Message, StandardInstruction
from tests.support.accounts import api_token, log_in
from tests.support.ws import connect_to_event as connect
from tests.support.ws import receive_until

ASSEMBLY = {
    "en": "Please move to the assembly area.",
    "fr": "Veuillez rejoindre la zone de rassemblement.",
    "es": "Por favor, diríjanse a la zona de concentración.",
}


@pytest.fixture
def assembly(db):
    return StandardInstruction.objects.create(label="Assembly area", texts=dict(ASSEMBLY))


@pytest.fixture
def french_alice(alice):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    return alice


def token_client(user, **headers) -> APIClient:
    client = APIClient(**headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client




async def next_message(ws, skipped: list[dict] = ()) -> dict:
    """The next message frame: among frames already read past, or the next to come."""
    for frame in skipped:
        if frame["type"] == "message":
            return frame
    frame, _ = await receive_until(ws, "message")
    return frame


async def subscribe(ws, channel="all", after_seq=0) -> list[dict]:
    await ws.send_json_to({"type": "subscribe", "channel": channel, "after_seq": after_seq})
    _subscribed, before = await receive_until(ws, "subscribed")
    return [frame for frame in before if frame["type"] == "message"]


def standard_frame(instruction_id, channel="all", **extra) -> dict:
    return {"type": "send", "channel": channel, "kind": "instruction",
            "standard_instruction": instruction_id, "client_id": str(uuid.uuid4()), **extra}


# --- over the WebSocket --------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_a_french_organiser_and_an_english_officer_each_read_it_in_their_language(
    alices_event, french_alice, assembly,
):
    alice, bob = await connect("alice", alices_event), await connect("bob", alices_event)
    await subscribe(alice)
    await subscribe(bob)
    await bob.send_json_to(standard_frame(assembly.pk))
    sent, skipped = await receive_until(bob, "sent")
    for frame, text in ((await next_message(alice), ASSEMBLY["fr"]),
                        (await next_message(bob, skipped), ASSEMBLY["en"])):
        assert frame["id"] == sent["id"] and frame["kind"] == "instruction"
        assert frame["body"] == text
        assert frame["standard_instruction"] == {"id": assembly.pk, "texts": ASSEMBLY}
    await alice.disconnect()
    await bob.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_browsers_language_chooses_the_text_when_the_user_has_no_setting(
    alices_event, carol, assembly,
):
    alice = await connect("alice", alices_event, accept_language="es-ES,es;q=0.9")
    await subscribe(alice)
    await sync_to_async(services.send_message)(
        event=alices_event, sender=carol, channel="all", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())
    frame, _ = await receive_until(alice, "message")
    assert frame["body"] == ASSEMBLY["es"]
    await alice.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_language_without_a_text_falls_back_to_english(alices_event, french_alice):
    english_only = await sync_to_async(StandardInstruction.objects.create)(
        label="Entrance", texts={"en": "Please keep the entrance clear."})
    alice, bob = await connect("alice", alices_event), await connect("bob", alices_event)
    await subscribe(alice)
    await subscribe(bob)
    await bob.send_json_to(standard_frame(english_only.pk))
    frame, _ = await receive_until(alice, "message")
    assert frame["body"] == "Please keep the entrance clear."
    await alice.disconnect()
    await bob.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_replay_gives_each_reader_their_language_too(alices_event, french_alice,
                                                          assembly, bob):
    await sync_to_async(services.send_message)(
        event=alices_event, sender=bob, channel="all", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())
    await sync_to_async(services.send_message)(
        event=alices_event, sender=bob, channel="all", kind="message", body="Free text stays",
        client_id=uuid.uuid4())
    alice = await connect("alice", alices_event)
    replayed = await subscribe(alice)
    assert [f["body"] for f in replayed] == [ASSEMBLY["fr"], "Free text stays"]
    assert replayed[1]["standard_instruction"] is None
    await alice.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_organiser_cannot_send_a_standard_instruction(alices_event, assembly):
    alice = await connect("alice", alices_event)
    await subscribe(alice)
    frame = standard_frame(assembly.pk)
    await alice.send_json_to(frame)
    error, _ = await receive_until(alice, "error")
    assert error["code"] == "forbidden" and error["client_id"] == frame["client_id"]
    assert not await sync_to_async(Message.objects.exists)()
    await alice.send_json_to({"type": "ping"})  # still connected
    await receive_until(alice, "pong")
    await alice.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_unknown_or_inactive_instruction_is_invalid(alices_event, assembly):
    assembly.active = False
    await sync_to_async(assembly.save)()
    bob = await connect("bob", alices_event)
    await subscribe(bob)
    for instruction_id in (assembly.pk, 999_999, "one", True):
        frame = standard_frame(instruction_id)
        # An id of the wrong type is refused by its shape; the others only by the server.
        if isinstance(instruction_id, int) and not isinstance(instruction_id, bool):
            await bob.send_json_to(frame)
        else:
            await bob.send_refused_json_to(frame)
        error, _ = await receive_until(bob, "error")
        assert error["code"] == "invalid", instruction_id
        assert "standard_instruction" in error["detail"]
    assert not await sync_to_async(Message.objects.exists)()
    await bob.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_standard_instruction_carries_no_body_and_is_an_instruction(alices_event,
                                                                           assembly):
    bob = await connect("bob", alices_event)
    await subscribe(bob)
    await bob.send_refused_json_to(standard_frame(assembly.pk, body="My own words"))
    error, _ = await receive_until(bob, "error")
    assert error["code"] == "invalid" and "body" in error["detail"]
    await bob.send_refused_json_to(standard_frame(assembly.pk, kind="alert"))
    error, _ = await receive_until(bob, "error")
    assert error["code"] == "invalid" and "kind" in error["detail"]
    await bob.disconnect()


# --- stored, logged, and history that does not change ------------------------------------

def test_the_message_keeps_a_copy_and_the_english_text_as_its_body(alices_event, bob,
                                                                    assembly):
    message, created = services.send_message(
        event=alices_event, sender=bob, channel="officials", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())
    assert created
    message.refresh_from_db()
    assert message.standard_instruction == assembly
    assert message.texts == ASSEMBLY and message.body == ASSEMBLY["en"]


def test_the_log_entry_keeps_which_instruction_and_every_text(alices_event, bob, assembly):
    message, _ = services.send_message(
        event=alices_event, sender=bob, channel="all", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())
    entry = LogEntry.objects.filter(event=alices_event, kind="message.sent").last()
    assert entry.data["message_id"] == message.pk
    assert entry.data["standard_instruction"] == {"id": assembly.pk, "label": "Assembly area",
                                                  "texts": ASSEMBLY}
    assert entry.data["body"] == ASSEMBLY["en"]


def test_free_text_is_logged_as_before_without_instruction(alices_event, bob):
    services.send_message(event=alices_event, sender=bob, channel="all", kind="instruction",
                          body="Typed by hand", client_id=uuid.uuid4())
    entry = LogEntry.objects.filter(event=alices_event, kind="message.sent").last()
    assert "standard_instruction" not in entry.data and entry.data["body"] == "Typed by hand"


def test_editing_the_instruction_later_leaves_sent_messages_unchanged(alices_event, bob,
                                                                      french_alice, assembly):
    message, _ = services.send_message(
        event=alices_event, sender=bob, channel="all", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())
    assembly.texts = {"en": "Go home.", "fr": "Rentrez chez vous."}
    services.save_standard_instruction(assembly)

    message.refresh_from_db()
    assert message.texts == ASSEMBLY and message.body == ASSEMBLY["en"]
    history = token_client(french_alice).get(
        f"/api/v1/events/{alices_event.pk}/messages/?channel=all").json()
    assert history[0]["body"] == ASSEMBLY["fr"]
    assert history[0]["standard_instruction"]["texts"] == ASSEMBLY


def test_acknowledgements_work_as_for_any_instruction(alices_event, bob, alice, assembly):
    message, _ = services.send_message(
        event=alices_event, sender=bob, channel="all", kind="instruction",
        standard_instruction=assembly.pk, client_id=uuid.uuid4())
    _ack, created = services.acknowledge_message(message, user=alice)
    assert created


# --- over HTTP -------------------------------------------------------------------------------

def test_http_history_gives_each_reader_their_language(alices_event, bob, french_alice,
                                                       assembly):
    services.send_message(event=alices_event, sender=bob, channel="all", kind="instruction",
                          standard_instruction=assembly.pk, client_id=uuid.uuid4())
    url = f"/api/v1/events/{alices_event.pk}/messages/?channel=all"
    assert token_client(french_alice).get(url).json()[0]["body"] == ASSEMBLY["fr"]
    assert token_client(bob).get(url).json()[0]["body"] == ASSEMBLY["en"]
    spanish = token_client(bob).get(url, HTTP_ACCEPT_LANGUAGE="es").json()[0]["body"]
    assert spanish == ASSEMBLY["es"]  # no setting of his own: his client's language
    bob.language = "fr"
    bob.save(update_fields=["language"])
    again = token_client(bob).get(url, HTTP_ACCEPT_LANGUAGE="es").json()[0]["body"]
    assert again == ASSEMBLY["fr"]  # his setting wins


def test_the_http_fallback_sends_a_standard_instruction(alices_event, bob, assembly):
    answer = token_client(bob, HTTP_ACCEPT_LANGUAGE="fr").post(
        f"/api/v1/events/{alices_event.pk}/messages/",
        {"channel": "all", "kind": "instruction", "standard_instruction": assembly.pk,
         "client_id": str(uuid.uuid4())}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["standard_instruction"]["id"] == assembly.pk
    assert answer.json()["body"] == ASSEMBLY["fr"]


def test_the_http_fallback_refuses_an_organiser_and_an_unknown_instruction(
    alices_event, alice, bob, assembly,
):
    url = f"/api/v1/events/{alices_event.pk}/messages/"
    body = {"channel": "all", "kind": "instruction", "standard_instruction": assembly.pk,
            "client_id": str(uuid.uuid4())}
    assert token_client(alice).post(url, body, format="json").status_code == 403
    unknown = token_client(bob).post(url, {**body, "standard_instruction": 999_999},
                                     format="json")
    assert unknown.status_code == 400 and "standard_instruction" in unknown.json()


def test_police_and_city_list_the_instructions_in_use(alices_event, bob, carol, alice,
                                                      assembly):
    StandardInstruction.objects.create(label="Old", texts={"en": "Old."}, active=False)
    listed = token_client(bob, HTTP_ACCEPT_LANGUAGE="fr").get("/api/v1/instructions/")
    assert listed.status_code == 200
    assert listed.json() == [{"id": assembly.pk, "label": "Assembly area",
                              "text": ASSEMBLY["fr"], "texts": ASSEMBLY, "position": 0}]
    assert token_client(carol).get("/api/v1/instructions/").status_code == 200
    assert token_client(alice).get("/api/v1/instructions/").status_code == 403


# --- the city keeps them -------------------------------------------------------------------

@pytest.mark.parametrize("texts", [
    {"fr": "Sans anglais."}, {"en": ""}, {"en": "Fine", "de": "Gut"}, {"en": "x" * 4001},
    ["en", "A list"], {"en": 42},
])
def test_texts_need_english_known_languages_and_words(db, texts):
    with pytest.raises(ValidationError):
        services.save_standard_instruction(StandardInstruction(label="Bad", texts=texts))


def test_city_staff_add_edit_and_deactivate_on_their_page(carol, client):
    log_in(client, carol)
    page = client.get("/instructions/")
    assert page.status_code == 200
    answer = client.post("/instructions/new/", {
        "label": "Route", "position": 1, "active": "on",
        "text_en": "The route has changed: see the map.",
        "text_fr": "L'itinéraire a changé : voir la carte.", "text_es": ""})
    assert answer.status_code == 302
    route = StandardInstruction.objects.get(label="Route")
    assert route.texts == {"en": "The route has changed: see the map.",
                           "fr": "L'itinéraire a changé : voir la carte."}
    client.post(f"/instructions/{route.pk}/", {
        "label": "Route", "position": 1, "text_en": "The route has changed: see the map.",
        "text_fr": "", "text_es": ""})  # "active" unticked
    route.refresh_from_db()
    assert route.active is False and route.texts == {"en": "The route has changed: see the map."}
    assert "Route" in client.get("/instructions/").content.decode()


def test_the_page_refuses_an_instruction_without_english(carol, client):
    log_in(client, carol)
    answer = client.post("/instructions/new/", {"label": "No English", "position": 0,
                                                "text_fr": "Seulement français."})
    assert answer.status_code == 200
    assert not StandardInstruction.objects.exists()


def test_police_and_organisers_cannot_keep_the_instructions(alice, bob, client):
    for user in (alice, bob):
        log_in(client, user)
        assert client.get("/instructions/").status_code == 403
        assert client.post("/instructions/new/", {"label": "X", "text_en": "X"}).status_code == 403
    assert not StandardInstruction.objects.exists()


def test_the_channel_panel_offers_them_to_police_not_to_organisers(alices_event, alice, bob,
                                                                   client, assembly):
    log_in(client, bob)
    page = client.get(f"/events/{alices_event.pk}/").content.decode()
    assert 'class="channel-standard-toggle"' in page and ASSEMBLY["en"] in page
    log_in(client, alice)
    page = client.get(f"/events/{alices_event.pk}/").content.decode()
    assert "channel-standard-toggle" not in page


def test_the_after_action_timeline_shows_the_instruction_and_every_text(alices_event, bob,
                                                                         assembly):
    from review.timeline import timeline_entries, timeline_rows

    services.send_message(event=alices_event, sender=bob, channel="all", kind="instruction",
                          standard_instruction=assembly.pk, client_id=uuid.uuid4())
    (row,) = [r for r in timeline_rows(alices_event, timeline_entries(alices_event))
              if r.kind == "message.sent"]
    assert "Assembly area" in row.description
    for text in ASSEMBLY.values():
        assert text in row.text
    assert "standard_instruction" not in dict(row.details)


def test_the_demo_data_brings_three_instructions_in_three_languages(db, tmp_path, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.VAR_DIR = tmp_path
    for _run in range(2):  # loading twice adds nothing
        call_command("load_demo_data", stdout=StringIO())
    instructions = list(StandardInstruction.objects.all())
    assert len(instructions) == 3
    for instruction in instructions:
        assert set(instruction.texts) == {"en", "fr", "es"}
        instruction.full_clean()


def test_a_city_administrator_keeps_them_in_the_django_admin_too(alices_event, bob, client,
                                                                  assembly):
    from tests.support.factories import make_user

    admin = make_user("root", "city", is_staff=True, is_superuser=True)
    log_in(client, admin)
    answer = client.post("/admin/messaging/standardinstruction/add/", {
        "label": "Entrance", "texts": '{"en": "Please keep the entrance clear."}',
        "active": "on", "position": 2})
    assert answer.status_code == 302
    assert StandardInstruction.objects.get(label="Entrance").texts == {
        "en": "Please keep the entrance clear."}
    refused = client.post("/admin/messaging/standardinstruction/add/", {
        "label": "No English", "texts": '{"fr": "Sans anglais."}', "position": 0})
    assert refused.status_code == 200 and not StandardInstruction.objects.filter(
        label="No English").exists()
    # One that was sent is never deleted (it would take history with it): deactivate it.
    services.send_message(event=alices_event, sender=bob, channel="all", kind="instruction",
                          standard_instruction=assembly.pk, client_id=uuid.uuid4())
    delete = client.get(f"/admin/messaging/standardinstruction/{assembly.pk}/delete/")
    assert delete.status_code == 403
