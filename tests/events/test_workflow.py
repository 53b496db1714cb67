"""Moving a demonstration through its review workflow, as each party does it."""

import pytest

from coordination.models import LogEntry
from events import services
from events.models import Event
from events.workflow import ALLOWED_FROM, next_states
from tests.support.factories import event_fields, make_user

S = Event.State


def move(client, event, to, note=None):
    body = {"to": to} if note is None else {"to": to, "note": note}
    return client.post(f"/api/v1/events/{event.pk}/transitions/", body)


def set_state(event, state):
    Event.objects.filter(pk=event.pk).update(state=state)


def test_the_whole_happy_path_is_logged_step_by_step(alice, carol, api):
    event = services.register_event(organiser=alice, **event_fields())
    organiser, city = api(alice), api(carol)
    steps = [
        (organiser, "submitted", ""),
        (city, "under_review", ""),
        (city, "changes_requested", "Please add ten more stewards."),
        (organiser, "submitted", "Stewards added."),
        (city, "under_review", ""),
        (city, "agreed", "Agreed at the liaison meeting."),
        (city, "live", ""),
        (city, "concluded", "Dispersed peacefully."),
    ]

    previous = "draft"
    for client, to, note in steps:
        response = move(client, event, to, note)
        assert response.status_code == 200, (to, response.json())
        assert response.json()["state"] == to
        assert response.json()["id"] == event.pk
        event.refresh_from_db()
        assert event.state == to
        entry = LogEntry.objects.filter(event=event).order_by("-seq").first()
        assert entry.kind == "event.transition"
        assert entry.data == {"from": previous, "to": to, "note": note}
        previous = to

    entries = list(LogEntry.objects.filter(event=event).order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(steps) + 2))
    assert [e.actor["name"] for e in entries[1:]] == [
        "Alice Martin", "Carol City", "Carol City", "Alice Martin",
        "Carol City", "Carol City", "Carol City", "Carol City"]


@pytest.mark.parametrize("state", ["draft", "submitted", "under_review", "changes_requested",
                                   "agreed"])
def test_organiser_withdraws_before_the_event_is_live(state, alice, api):
    event = services.register_event(organiser=alice, **event_fields())
    set_state(event, state)

    response = move(api(alice), event, "withdrawn", "We called it off.")

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "withdrawn"


@pytest.mark.parametrize("state", ["live", "concluded", "cancelled", "withdrawn"])
def test_organiser_cannot_withdraw_once_live_or_closed(state, alice, api):
    event = services.register_event(organiser=alice, **event_fields())
    set_state(event, state)

    response = move(api(alice), event, "withdrawn")

    assert response.status_code == 409
    event.refresh_from_db()
    assert event.state == state


@pytest.mark.parametrize("state", ["draft", "submitted", "under_review", "changes_requested",
                                   "agreed", "live"])
def test_city_cancels_with_a_reason_before_conclusion(state, alices_event, carol, api):
    set_state(alices_event, state)

    response = move(api(carol), alices_event, "cancelled", "Severe weather warning.")

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "cancelled"
    entry = alices_event.log_entries.order_by("-seq").first()
    assert entry.data == {"from": state, "to": "cancelled", "note": "Severe weather warning."}


@pytest.mark.parametrize("note", [None, "", "   "])
def test_city_cannot_cancel_without_a_reason(note, alices_event, carol, api):
    before = alices_event.log_entries.count()

    response = move(api(carol), alices_event, "cancelled", note)

    assert response.status_code == 400
    assert "note" in response.json()
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"
    assert alices_event.log_entries.count() == before


def test_city_cannot_cancel_a_concluded_event(alices_event, carol, api):
    set_state(alices_event, "concluded")

    response = move(api(carol), alices_event, "cancelled", "Too late.")

    assert response.status_code == 409


def test_city_requests_changes_with_a_reason(alices_event, carol, api):
    set_state(alices_event, "under_review")

    without = move(api(carol), alices_event, "changes_requested")
    with_reason = move(api(carol), alices_event, "changes_requested", "Route crosses a bridge.")

    assert without.status_code == 400
    assert with_reason.status_code == 200


def test_city_agrees_event_under_review(alices_event, carol, api):
    set_state(alices_event, "under_review")

    response = move(api(carol), alices_event, "agreed")

    assert response.status_code == 200
    assert response.json()["state"] == "agreed"


def test_city_cannot_agree_a_draft_and_hears_both_states(alice, carol, api):
    event = services.register_event(organiser=alice, **event_fields())

    response = move(api(carol), event, "agreed")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "Draft" in detail and "Agreed" in detail
    event.refresh_from_db()
    assert event.state == "draft"
    assert event.log_entries.count() == 1


@pytest.mark.parametrize("to", ["under_review", "changes_requested", "agreed", "live",
                                "concluded", "cancelled"])
def test_organiser_cannot_take_the_citys_decisions(to, alices_event, alice, api):
    response = move(api(alice), alices_event, to, "Because.")

    assert response.status_code == 403
    assert "Organiser" in response.json()["detail"]


@pytest.mark.parametrize("to", ["submitted", "withdrawn"])
def test_city_cannot_act_for_the_organisers(to, alices_event, carol, api):
    set_state(alices_event, "draft")

    response = move(api(carol), alices_event, to)

    assert response.status_code == 403
    assert "City official" in response.json()["detail"]


@pytest.mark.parametrize("to", sorted(ALLOWED_FROM))
def test_police_move_nothing(to, alices_event, bob, api):
    response = move(api(bob), alices_event, to, "x")

    assert response.status_code == 403


def test_reviewer_moves_nothing(alices_event, dave, api):
    set_state(alices_event, "concluded")

    response = move(api(dave), alices_event, "cancelled", "x")

    assert response.status_code == 403


def test_role_is_checked_before_state(alices_event, alice, api):
    # "agreed" from "submitted" is wrong on both counts: the role answer comes first.
    response = move(api(alice), alices_event, "agreed")

    assert response.status_code == 403


def test_other_organiser_cannot_touch_the_event(alices_event, mallory, api):
    response = move(api(mallory), alices_event, "withdrawn")

    assert response.status_code == 404
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"


@pytest.mark.parametrize("body", [{"to": "happy"}, {"to": "draft"}, {}, {"to": ""},
                                  {"to": ["agreed"]}])
def test_unknown_state_is_a_bad_request(body, alices_event, carol, api):
    response = api(carol).post(f"/api/v1/events/{alices_event.pk}/transitions/", body)

    assert response.status_code == 400
    assert "to" in response.json()


def test_service_refuses_unknown_state_by_field(alices_event, carol):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.transition_event(alices_event, to="draft", actor=carol)

    assert "to" in info.value.message_dict


def test_co_organiser_may_submit(alice, api):
    event = services.register_event(organiser=alice, **event_fields())
    zoe = make_user("zoe", "organiser")
    services.add_member(event, username="zoe", actor=alice)

    assert move(api(zoe), event, "submitted").status_code == 200


def test_state_map_is_the_contracts():
    assert next_states("draft") == ["submitted", "withdrawn", "cancelled"]
    assert next_states("submitted") == ["under_review", "withdrawn", "cancelled"]
    assert next_states("under_review") == ["changes_requested", "agreed", "withdrawn",
                                           "cancelled"]
    assert next_states("changes_requested") == ["submitted", "withdrawn", "cancelled"]
    assert next_states("agreed") == ["live", "withdrawn", "cancelled"]
    assert next_states("live") == ["concluded", "cancelled"]
    assert next_states("concluded") == []
    assert next_states("withdrawn") == []
    assert next_states("cancelled") == []


def test_state_change_is_broadcast_after_commit(alices_event, carol, monkeypatch,
                                                django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("coordination.broadcast.send_now",
                        lambda event_id, payload, **kwargs: sent.append((event_id, payload)))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.transition_event(alices_event, to="under_review", actor=carol)
        assert sent == []

    for callback in callbacks:
        callback()
    assert sent == [(alices_event.pk, {"type": "state", "event": alices_event.pk,
                                       "state": "under_review"})]
