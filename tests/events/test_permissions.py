"""Who may do what with a demonstration, asked by name exactly as pages, API and consumers ask."""

import pytest
from django.contrib.auth.models import AnonymousUser

from events import selectors
from events.models import Event
from tests.support.factories import make_user

PEOPLE = ["alice", "bob", "carol", "dave", "mallory", "erin", "zoe"]


@pytest.fixture
def people(alices_event, alice, bob, carol, dave, mallory):
    """Everyone: erin is police but not a member; zoe is Alice's co-organiser."""
    from events import services

    erin = make_user("erin", "police")
    zoe = make_user("zoe", "organiser")
    services.add_member(alices_event, username="zoe", actor=alice)
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "mallory": mallory,
            "erin": erin, "zoe": zoe}


def allowed(people, perm, event):
    return {name for name, user in people.items() if user.has_perm(perm, event)}


def test_who_sees_an_open_event(people, alices_event):
    assert allowed(people, "events.view_event", alices_event) == {
        "alice", "zoe", "bob", "erin", "carol"}


def test_who_sees_a_concluded_event(people, alices_event):
    alices_event.state = Event.State.CONCLUDED

    assert allowed(people, "events.view_event", alices_event) == {
        "alice", "zoe", "bob", "erin", "carol", "dave"}


def test_who_sees_the_contacts(people, alices_event):
    alices_event.state = Event.State.CONCLUDED

    assert allowed(people, "events.view_event_contacts", alices_event) == {
        "alice", "zoe", "bob", "carol"}


def test_who_edits_and_submits_and_withdraws(people, alices_event):
    for perm in ("events.change_event", "events.submit_event", "events.withdraw_event"):
        assert allowed(people, perm, alices_event) == {"alice", "zoe"}, perm


def test_who_reviews_runs_and_cancels(people, alices_event):
    for perm in ("events.review_event", "events.run_event", "events.cancel_event"):
        assert allowed(people, perm, alices_event) == {"carol"}, perm


def test_who_adds_members(people, alices_event):
    assert allowed(people, "events.add_member", alices_event) == {"alice", "zoe", "carol"}


def test_who_reads_the_log(people, alices_event):
    assert allowed(people, "events.view_event_log", alices_event) == {"carol", "dave"}


def test_who_registers(people):
    assert {name for name, user in people.items() if user.has_perm("events.add_event")} == {
        "alice", "zoe", "mallory"}


def test_a_deactivated_organiser_loses_everything(people, alices_event):
    alice = people["alice"]
    alice.is_active = False

    assert not alice.has_perm("events.view_event", alices_event)
    assert not alice.has_perm("events.change_event", alices_event)


def test_nobody_anonymous_may_do_anything(alices_event):
    anonymous = AnonymousUser()

    assert not anonymous.has_perm("events.view_event", alices_event)
    assert not anonymous.has_perm("events.add_event")
    assert selectors.events_visible_to(anonymous).count() == 0


def test_visible_list_matches_view_permission(people, alices_event, mallory):
    from events import services
    from tests.support.factories import event_fields

    services.register_event(organiser=mallory, **event_fields(title="Other"))
    events = list(Event.objects.all())

    for name, user in people.items():
        listed = set(selectors.events_visible_to(user))
        permitted = {e for e in events if user.has_perm("events.view_event", e)}
        assert listed == permitted, name


def test_get_event_for_hides_what_it_does_not_show(people, alices_event):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.get_event_for(people["mallory"], alices_event.pk)
    with pytest.raises(Http404):
        selectors.get_event_for(people["carol"], "not a number")
    assert selectors.get_event_for(people["zoe"], alices_event.pk) == alices_event
