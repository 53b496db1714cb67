"""The live channel speaks each person's language, and shows who reads what (issue 7).

The language of a connection follows the same rule as pages and the API: the user's own
setting, then the handshake's ``Accept-Language``, then English.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.utils import translation

from messaging import services
from tests.support.accounts import api_token, log_in
from tests.support.factories import make_user
from tests.support.ws import connect_to_event as connect
from tests.support.ws import receive_until

UNKNOWN_FRAME_FR = "Type de trame inconnu. Utilisez subscribe, send, ack ou ping."
UNKNOWN_FRAME_EN = "Unknown frame type. Use subscribe, send, ack or ping."




async def error_for(ws, frame: dict, *, refused_by_its_shape: bool = True) -> dict:
    """The error answering ``frame``: refused for its shape (the AsyncAPI document refuses it
    too), or for what only the server knows."""
    if refused_by_its_shape:
        await ws.send_refused_json_to(frame)
    else:
        await ws.send_json_to(frame)
    error, _ = await receive_until(ws, "error")
    return error


def set_language(user, code: str) -> None:
    user.language = code
    user.save(update_fields=["language"])


@pytest.mark.django_db(transaction=True)
async def test_a_french_user_gets_channel_errors_in_french(alices_event, alice):
    await sync_to_async(set_language)(alice, "fr")
    ws = await connect("alice", alices_event, accept_language="en")  # her setting wins
    error = await error_for(ws, {"type": "dance"})
    assert error["code"] == "bad_frame" and error["detail"] == UNKNOWN_FRAME_FR
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_asking_for_french_gets_french_errors(alices_event, bob):
    ws = await connect("bob", alices_event, accept_language="fr-FR,fr;q=0.9,en;q=0.5")
    error = await error_for(ws, {"type": "dance"})
    assert error["detail"] == UNKNOWN_FRAME_FR
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_without_setting_or_header_errors_are_in_english(alices_event, bob):
    ws = await connect("bob", alices_event)
    error = await error_for(ws, {"type": "dance"})
    assert error["detail"] == UNKNOWN_FRAME_EN
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_refused_send_is_explained_in_the_senders_language(alices_event, alice, bob):
    # The refusal is decided in a database thread shared by the channel's writer: each
    # connection still reads it in its own language.
    await sync_to_async(set_language)(alice, "fr")
    alice_ws = await connect("alice", alices_event)
    bob_ws = await connect("bob", alices_event)
    for ws in (alice_ws, bob_ws):
        await ws.send_json_to({"type": "subscribe", "channel": "all", "after_seq": 0})
        await receive_until(ws, "subscribed")
    empty = {"type": "send", "channel": "all", "kind": "message", "body": "  "}
    await alice_ws.send_refused_json_to({**empty, "client_id": str(uuid.uuid4())})
    await bob_ws.send_refused_json_to({**empty, "client_id": str(uuid.uuid4())})
    french, _ = await receive_until(alice_ws, "error")
    english, _ = await receive_until(bob_ws, "error")
    assert french["code"] == english["code"] == "invalid"
    assert "Écrivez un message." in french["detail"]
    assert "Write a message." in english["detail"]
    await alice_ws.disconnect()
    await bob_ws.disconnect()


def test_a_refusal_is_worded_when_read_not_when_decided(alices_event, alice):
    """A channel's writer stores the sends of several connections together: what it
    refuses is put in words by the connection that answers, in that one's language."""
    draft = services.MessageDraft(sender=alice, kind="message", body="",
                                  client_id=uuid.uuid4())
    with translation.override("en"):
        (refusal,) = services.send_messages(event=alices_event, channel="all", drafts=[draft])
    with translation.override("fr"):
        assert refusal.reason.message_dict["body"] == ["Écrivez un message."]
    with translation.override("es"):
        assert refusal.reason.message_dict["body"] == ["Escriba un mensaje."]


# --- who reads what, next to the channel ----------------------------------------------------

def test_the_languages_section_lists_the_events_wish_and_each_members_setting(
    alices_event, alice, bob, carol, client,
):
    set_language(alice, "fr")
    set_language(carol, "es")
    log_in(client, bob)
    page = client.get(f"/events/{alices_event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = page[page.index('id="channel-languages"'):]
    section = section[:section.index("</section>")]
    assert "The organisers asked for:" in section
    assert '<span class="language-tag">English</span>' in section  # the event: en, es
    assert '<span class="language-tag">Spanish</span>' in section
    rows = {row.split('<span class="language-member-name">')[1].split("<")[0]: row
            for row in section.split('<li class="language-member"')[1:]}
    assert set(rows) == {"Alice Martin", "Bob Officer", "Carol City"}
    assert "French" in rows["Alice Martin"] and "Organiser" in rows["Alice Martin"]
    assert "Spanish" in rows["Carol City"]
    assert "browser" in rows["Bob Officer"]  # no setting: follows his browser


def test_the_languages_section_escapes_names(alices_event, alice, bob, client):
    alice.first_name, alice.last_name = "<script>alert(1)</script>", ""
    alice.save(update_fields=["first_name", "last_name"])
    log_in(client, bob)
    page = client.get(f"/events/{alices_event.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_languages_section_is_only_for_those_who_read_the_channel(alices_event, client):
    erin = make_user("erin", "police", name="Erin Patrol")  # police, not a member
    log_in(client, erin)
    page = client.get(f"/events/{alices_event.pk}/")
    assert page.status_code == 200
    assert 'id="channel-languages"' not in page.content.decode()


def test_the_http_fallback_words_its_refusals_in_the_callers_language(alices_event, bob,
                                                                      settings):
    from rest_framework.test import APIClient

    settings.PARLEY_RATE_LIMIT_MESSAGES = 1
    client = APIClient(HTTP_ACCEPT_LANGUAGE="fr")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(bob)}")
    url = f"/api/v1/events/{alices_event.pk}/messages/"
    for expected in (201, 429):
        answer = client.post(url, {"channel": "all", "kind": "message", "body": "Bonjour",
                                   "client_id": str(uuid.uuid4())}, format="json")
        assert answer.status_code == expected
    assert answer.json()["detail"].startswith("Ralentissez")


@pytest.mark.django_db(transaction=True)
async def test_a_refusal_decided_in_a_database_thread_is_in_the_connections_language(
    alices_event, alice,
):
    # Acknowledging is checked in a database thread: the connection's language goes there.
    await sync_to_async(set_language)(alice, "fr")
    ws = await connect("alice", alices_event)
    error = await error_for(ws, {"type": "ack", "message_id": 999_999},
                            refused_by_its_shape=False)
    assert error["code"] == "invalid" and error["detail"] == "Ce message n'existe pas."
    await ws.disconnect()


def test_the_channel_names_a_language_django_does_not_know_from_the_forms_list(
        alices_event, bob, client):
    alices_event.languages = ["en", "so"]
    alices_event.save(update_fields=["languages"])
    log_in(client, bob)
    page = client.get(f"/events/{alices_event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="language-tag">Somali</span>' in page
    assert '<span class="language-tag">so</span>' not in page
