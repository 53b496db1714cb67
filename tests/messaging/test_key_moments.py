"""Key moments: city staff who read a message's channel mark it (with an optional note) and
unmark it; each is logged; message history shows the mark.

alice organises the demonstration; bob (police) and carol (city) are its members; frank is
city staff who is not a member; erin is police who is not; dave reviews; mallory organises
another demonstration.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from coordination.log import verify_event_log
from coordination.models import LogEntry
from events import services as event_services
from messaging import key_moments
from messaging.models import KeyMoment
from messaging.services import send_message
from tests.support.logs import last_entry


def say(event, sender, body="Crowd moving to the bridge", channel="all"):
    message, _ = send_message(event=event, sender=sender, channel=channel, kind="message",
                              body=body, client_id=uuid.uuid4())
    return message


def url(message) -> str:
    return reverse("api:message-key-moment", args=[message.pk])


# --- The service ------------------------------------------------------------------------


def test_city_staff_mark_a_message_as_a_key_moment_and_it_is_logged(agreed_event, alice,
                                                                     carol):
    message = say(agreed_event, alice)
    key_moment, changed = key_moments.mark_key_moment(message=message, user=carol,
                                                      note="Turning point")
    assert changed and key_moment.marked_by == carol and key_moment.note == "Turning point"
    entry = last_entry(agreed_event)
    assert entry.kind == "message.key_moment_marked"
    assert entry.data == {"message_id": message.pk, "channel": "all", "seq": message.seq,
                          "note": "Turning point"}
    assert verify_event_log(agreed_event.pk).valid


def test_marking_twice_changes_nothing_and_a_new_note_replaces_the_old(agreed_event, alice,
                                                                        carol):
    message = say(agreed_event, alice)
    key_moments.mark_key_moment(message=message, user=carol, note="First")
    entries = LogEntry.objects.filter(event=agreed_event).count()
    _, changed = key_moments.mark_key_moment(message=message, user=carol, note="First")
    assert not changed
    assert LogEntry.objects.filter(event=agreed_event).count() == entries
    _, changed = key_moments.mark_key_moment(message=message, user=carol, note="Better")
    assert changed and KeyMoment.objects.get().note == "Better"
    assert LogEntry.objects.filter(event=agreed_event).count() == entries + 1


def test_unmarking_is_logged_and_unmarking_again_changes_nothing(agreed_event, alice, carol):
    message = say(agreed_event, alice)
    key_moments.mark_key_moment(message=message, user=carol, note="Keep")
    assert key_moments.unmark_key_moment(message=message, user=carol)
    assert not KeyMoment.objects.exists()
    entry = last_entry(agreed_event)
    assert entry.kind == "message.key_moment_unmarked"
    assert entry.data["message_id"] == message.pk and entry.data["note"] == "Keep"
    entries = LogEntry.objects.filter(event=agreed_event).count()
    assert not key_moments.unmark_key_moment(message=message, user=carol)
    assert LogEntry.objects.filter(event=agreed_event).count() == entries


def test_when_the_log_cannot_be_written_no_key_moment_is_stored(agreed_event, alice, carol,
                                                                monkeypatch):
    message = say(agreed_event, alice)

    def broken_log(*args, **kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(key_moments, "record", broken_log)
    with pytest.raises(RuntimeError):
        key_moments.mark_key_moment(message=message, user=carol)
    assert not KeyMoment.objects.exists()


def test_only_city_staff_who_read_the_channel_mark(agreed_event, alice, bob, frank):
    message = say(agreed_event, alice)
    for person in (alice, bob, frank):
        with pytest.raises(PermissionDenied):
            key_moments.mark_key_moment(message=message, user=person)


def test_a_note_longer_than_300_characters_is_refused(agreed_event, alice, carol):
    message = say(agreed_event, alice)
    with pytest.raises(ValidationError):
        key_moments.mark_key_moment(message=message, user=carol, note="x" * 301)
    assert not KeyMoment.objects.exists()


def test_key_moments_can_be_marked_after_the_demonstration_is_over(agreed_event, alice,
                                                                   carol):
    message = say(agreed_event, alice)
    event_services.transition_event(agreed_event, to="live", actor=carol)
    event_services.transition_event(agreed_event, to="concluded", actor=carol)
    _, changed = key_moments.mark_key_moment(message=message, user=carol)
    assert changed


# --- The API ----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [
    ("alice", 403), ("bob", 403), ("carol", 201), ("frank", 404), ("erin", 404),
    ("dave", 404), ("mallory", 404),
])
def test_who_may_mark_a_message(api, agreed_event, alice, erin, frank, dave, mallory, who,
                                expected):
    message = say(agreed_event, alice)
    user = get_user_model().objects.get(username=who)
    response = api(user).post(url(message), {"note": "Noted"}, format="json")
    assert response.status_code == expected
    assert KeyMoment.objects.exists() == (expected == 201)
    if expected == 201:
        assert response.json() == {"type": "key_moment", "message_id": message.pk,
                                   "marked": True, "note": "Noted"}
    else:
        assert "detail" in response.json()


def test_anonymous_callers_cannot_mark(api, agreed_event, alice):
    message = say(agreed_event, alice)
    assert api().post(url(message), {}, format="json").status_code == 401
    assert api().delete(url(message)).status_code == 401
    assert not KeyMoment.objects.exists()


def test_marking_again_answers_200_and_unmarking_204(api, agreed_event, alice, carol):
    message = say(agreed_event, alice)
    assert api(carol).post(url(message), {}, format="json").status_code == 201
    assert api(carol).post(url(message), {}, format="json").status_code == 200
    assert api(carol).delete(url(message)).status_code == 204
    assert api(carol).delete(url(message)).status_code == 204
    assert not KeyMoment.objects.exists()


def test_organisers_cannot_unmark(api, agreed_event, alice, carol):
    message = say(agreed_event, alice)
    key_moments.mark_key_moment(message=message, user=carol)
    assert api(alice).delete(url(message)).status_code == 403
    assert KeyMoment.objects.exists()


def test_an_officials_message_is_no_organisers_business(api, agreed_event, alice, bob, carol):
    message = say(agreed_event, bob, channel="officials")
    assert api(alice).post(url(message), {}, format="json").status_code == 404
    assert api(carol).post(url(message), {}, format="json").status_code == 201


def test_a_long_note_is_refused_by_field(api, agreed_event, alice, carol):
    message = say(agreed_event, alice)
    response = api(carol).post(url(message), {"note": "x" * 301}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()


def test_message_history_shows_the_key_moment(api, agreed_event, alice, bob, carol):
    marked = say(agreed_event, alice, body="We are stopping here")
    say(agreed_event, bob, body="Understood")
    key_moments.mark_key_moment(message=marked, user=carol, note="Route changed")
    response = api(bob).get(reverse("api:event-messages", args=[agreed_event.pk]))
    first, second = response.json()
    assert first["key_moment"]["note"] == "Route changed"
    assert first["key_moment"]["marked_by"] == {"id": carol.pk, "name": "Carol City",
                                                "role": "city"}
    assert first["key_moment"]["marked_at"].endswith("Z")
    assert second["key_moment"] is None


# --- The channel panel ------------------------------------------------------------------


@pytest.mark.parametrize(("who", "offered"), [("alice", False), ("bob", False),
                                              ("carol", True)])
def test_the_channel_panel_offers_the_key_moment_toggle_to_city_staff_only(
        client, agreed_event, who, offered):
    from tests.support.pages import page_of, panel_config

    user = get_user_model().objects.get(username=who)
    page = page_of(client, user, agreed_event)
    config = panel_config(page)
    assert config["can_mark_key_moments"] is offered
    assert config["key_moment_url"] == reverse("api:message-key-moment", args=[0])
    assert 'id="channel-panel"' in page and "data-csrf=" in page


def test_a_message_that_does_not_exist_is_not_found(api, agreed_event, carol):
    response = api(carol).post(reverse("api:message-key-moment", args=[999999]), {},
                               format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such message."}
