"""Who coordinates a demonstration: the city brings in officials, organisers bring co-organisers."""

import pytest

from events import services
from events.models import EventMembership
from tests.support.factories import event_fields, make_user


def members_url(event):
    return f"/api/v1/events/{event.pk}/members/"


def test_members_are_listed_with_name_and_role(alices_event, bob, api):
    response = api(bob).get(members_url(alices_event))

    assert response.status_code == 200
    assert response.json() == [
        {"username": "alice", "name": "Alice Martin", "role": "organiser"},
        {"username": "bob", "name": "Bob Officer", "role": "police"},
        {"username": "carol", "name": "Carol City", "role": "city"},
    ]


def test_city_adds_a_police_officer_then_again_without_error(alices_event, carol, api):
    erin = make_user("erin", "police", name="Erin Beat")
    client = api(carol)
    before = alices_event.log_entries.count()

    first = client.post(members_url(alices_event), {"username": "erin"})
    second = client.post(members_url(alices_event), {"username": "erin"})
    third = client.post(members_url(alices_event), {"username": "erin"})

    assert first.status_code == 201
    assert first.json() == {"username": "erin", "role": "police"}
    assert second.status_code == 200
    assert second.json() == {"username": "erin", "role": "police"}
    assert third.status_code == 200
    assert EventMembership.objects.filter(event=alices_event, user=erin).count() == 1
    entries = list(alices_event.log_entries.filter(seq__gt=before))
    assert [(e.kind, e.data) for e in entries] == [
        ("event.member_added", {"username": "erin", "role": "police"})]
    assert entries[0].actor["name"] == "Carol City"


def test_city_adds_another_city_official(alices_event, carol, api):
    make_user("frank", "city")

    response = api(carol).post(members_url(alices_event), {"username": "frank"})

    assert response.status_code == 201
    assert response.json() == {"username": "frank", "role": "city"}


def test_city_official_who_is_not_a_member_may_add_members(alices_event, api):
    frank = make_user("frank", "city")
    make_user("erin", "police")

    response = api(frank).post(members_url(alices_event), {"username": "erin"})

    assert response.status_code == 201


def test_organiser_adds_a_co_organiser_who_then_sees_the_event(alices_event, alice, api):
    zoe = make_user("zoe", "organiser", name="Zoe Helper")
    assert api(zoe).get(f"/api/v1/events/{alices_event.pk}/").status_code == 404

    response = api(alice).post(members_url(alices_event), {"username": "zoe"})

    assert response.status_code == 201
    assert response.json() == {"username": "zoe", "role": "organiser"}
    detail = api(zoe).get(f"/api/v1/events/{alices_event.pk}/")
    assert detail.status_code == 200
    assert detail.json()["contact_email"] == "alice@example.org"
    assert [e["id"] for e in api(zoe).get("/api/v1/events/").json()["results"]] == [
        alices_event.pk]


@pytest.mark.parametrize("who, whom", [
    ("carol", "mallory"),   # city cannot add organisers
    ("carol", "dave"),      # nor reviewers
    ("alice", "bob"),       # organisers add only organisers
    ("alice", "carol"),
    ("alice", "dave"),
])
def test_wrong_role_combinations_are_refused(who, whom, alices_event, dave, mallory, api,
                                             request):
    before = set(alices_event.memberships.values_list("user__username", flat=True))

    response = api(request.getfixturevalue(who)).post(members_url(alices_event),
                                                      {"username": whom})

    assert response.status_code == 400
    assert "username" in response.json()
    assert set(alices_event.memberships.values_list("user__username", flat=True)) == before


@pytest.mark.parametrize("username", ["nobody", ""])
def test_unknown_or_missing_username_is_refused(username, alices_event, carol, api):
    response = api(carol).post(members_url(alices_event), {"username": username})

    assert response.status_code == 400
    assert "username" in response.json()


def test_a_deactivated_user_cannot_be_added(alices_event, carol, api):
    make_user("erin", "police", is_active=False)

    response = api(carol).post(members_url(alices_event), {"username": "erin"})

    assert response.status_code == 400


def test_police_cannot_add_members(alices_event, bob, api):
    make_user("erin", "police")

    response = api(bob).post(members_url(alices_event), {"username": "erin"})

    assert response.status_code == 403
    assert "detail" in response.json()
    assert not alices_event.memberships.filter(user__username="erin").exists()


def test_reviewer_reads_members_of_a_concluded_event_but_adds_none(alices_event, dave, api):
    make_user("erin", "police")
    alices_event.__class__.objects.filter(pk=alices_event.pk).update(state="concluded")

    assert api(dave).get(members_url(alices_event)).status_code == 200
    assert api(dave).post(members_url(alices_event), {"username": "erin"}).status_code == 403


def test_other_organiser_neither_sees_nor_adds_members(alices_event, mallory, api):
    make_user("zoe", "organiser")

    assert api(mallory).get(members_url(alices_event)).status_code == 404
    assert api(mallory).post(members_url(alices_event), {"username": "zoe"}).status_code == 404


def test_organiser_cannot_add_herself_to_another_event(alices_event, mallory, api):
    response = api(mallory).post(members_url(alices_event), {"username": "mallory"})

    assert response.status_code == 404
    assert not alices_event.memberships.filter(user=mallory).exists()


def test_co_organiser_added_by_service_is_logged_with_the_adder(alice):
    event = services.register_event(organiser=alice, **event_fields())
    make_user("zoe", "organiser")

    membership, created = services.add_member(event, username="zoe", actor=alice)

    assert created
    assert membership.added_by == alice
    entry = event.log_entries.order_by("-seq").first()
    assert (entry.seq, entry.kind, entry.data) == (
        2, "event.member_added", {"username": "zoe", "role": "organiser"})
