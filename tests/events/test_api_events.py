"""Registering, reading, listing and editing demonstrations over the REST API."""

import datetime as dt
import re

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from coordination.models import LogEntry
from events import services
from events.models import Event, ReferenceCounter
from tests.support.factories import event_fields, make_user, march_fields
from tests.support.zones import iso

EVENTS = "/api/v1/events/"
CONTACT_FIELDS = {"contact_name", "contact_phone", "contact_email"}
ALL_FIELDS = {
    "id", "reference", "title", "kind", "counter_to", "organisation", "description",
    "expected_attendance", "stewards", "starts_at", "ends_at", "assembly_point",
    "assembly_point_name", "route", "dispersal_point", "dispersal_point_name", "amplified_sound",
    "accessibility_needs", "languages", "contact_name",
    "contact_phone", "contact_email", "public", "publish_description", "state", "organiser",
    "created_at", "updated_at",
}


def registration(**overrides) -> dict:
    """A valid registration as a client sends it: JSON, GeoJSON, ISO 8601."""
    starts = timezone.now() + dt.timedelta(days=3)
    body = {
        "title": "Save the library",
        "kind": "static",
        "organisation": "Friends of the Library",
        "description": "A peaceful gathering.",
        "expected_attendance": 200,
        "stewards": 10,
        "starts_at": iso(starts),
        "ends_at": iso(starts + dt.timedelta(hours=2)),
        "assembly_point": {"type": "Point", "coordinates": [-82.9988, 39.9612]},
        "amplified_sound": False,
        "languages": ["en", "es"],
        "contact_name": "Alice Martin",
        "contact_phone": "+1 614 555 0100",
        "contact_email": "alice@example.org",
    }
    body.update(overrides)
    return body


def nothing_was_saved():
    assert Event.objects.count() == 0
    assert LogEntry.objects.count() == 0
    assert not ReferenceCounter.objects.filter(last_number__gt=0).exists()


# --- Registering -------------------------------------------------------------------------


def test_organiser_registers_a_draft(alice, api):
    response = api(alice).post(EVENTS, registration())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == ALL_FIELDS
    assert re.fullmatch(rf"PAR-{timezone.now().year}-\d{{4}}", body["reference"])
    assert body["state"] == "draft"
    assert body["organiser"] == "alice"
    assert body["assembly_point"] == {"type": "Point", "coordinates": [-82.9988, 39.9612]}
    assert body["languages"] == ["en", "es"]
    assert body["public"] is True
    assert body["contact_phone"] == "+1 614 555 0100"
    event = Event.objects.get(pk=body["id"])
    assert event.organiser == alice
    assert event.memberships.get().user == alice


def test_organiser_registers_a_march_with_its_route(alice, api):
    route = {"type": "LineString", "coordinates": [[-82.9988, 39.9612], [-83.001, 39.968]]}

    response = api(alice).post(EVENTS, registration(kind="march", route=route))

    assert response.status_code == 201, response.json()
    assert response.json()["route"] == route


def test_organiser_cannot_choose_reference_state_or_organiser(alice, mallory, api):
    response = api(alice).post(EVENTS, registration(
        reference="PAR-1999-0001", state="agreed", organiser="mallory", id=999,
    ))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] != "PAR-1999-0001"
    assert body["state"] == "draft"
    assert body["organiser"] == "alice"
    assert body["id"] != 999


@pytest.mark.parametrize("person", ["bob", "carol", "dave"])
def test_only_organisers_register_demonstrations(person, bob, carol, dave, api, request):
    response = api(request.getfixturevalue(person)).post(EVENTS, registration())

    assert response.status_code == 403
    assert "organisers" in response.json()["detail"]
    nothing_was_saved()


def test_registration_is_logged_as_the_first_entry(alice, api):
    body = api(alice).post(EVENTS, registration()).json()

    entry = LogEntry.objects.get(event_id=body["id"])
    assert entry.seq == 1
    assert entry.kind == "event.created"
    assert entry.actor == {"id": alice.pk, "name": "Alice Martin", "role": "organiser"}
    assert entry.data["reference"] == body["reference"]
    assert entry.data["title"] == "Save the library"


def _in_past():
    return iso(timezone.now() - dt.timedelta(hours=1))


INVALID_REGISTRATIONS = {
    "end_before_start": (
        lambda: registration(ends_at=iso(timezone.now() + dt.timedelta(days=2))), {"ends_at"},
    ),
    "end_equals_start": (
        lambda: (lambda r: r | {"ends_at": r["starts_at"]})(registration()), {"ends_at"},
    ),
    "start_in_past": (
        lambda: registration(starts_at=_in_past()), {"starts_at"},
    ),
    "no_attendance": (lambda: registration(expected_attendance=0), {"expected_attendance"}),
    "negative_attendance": (
        lambda: registration(expected_attendance=-5), {"expected_attendance"},
    ),
    "negative_stewards": (lambda: registration(stewards=-1), {"stewards"}),
    "march_without_route": (lambda: registration(kind="march"), {"route"}),
    "counter_without_counter_to": (lambda: registration(kind="counter"), {"counter_to"}),
    "unknown_counter_to": (
        lambda: registration(kind="counter", counter_to=987654), {"counter_to"},
    ),
    "unknown_kind": (lambda: registration(kind="riot"), {"kind"}),
    "assembly_point_is_a_line": (
        lambda: registration(assembly_point={
            "type": "LineString", "coordinates": [[-82.99, 39.96], [-82.98, 39.97]]}),
        {"assembly_point"},
    ),
    "route_is_a_point": (
        lambda: registration(kind="march", route={"type": "Point", "coordinates": [-82, 39]}),
        {"route"},
    ),
    "dispersal_point_is_a_polygon": (
        lambda: registration(dispersal_point={"type": "Polygon", "coordinates": [
            [[-82.99, 39.96], [-82.98, 39.96], [-82.98, 39.97], [-82.99, 39.96]]]}),
        {"dispersal_point"},
    ),
    "longitude_out_of_range": (
        lambda: registration(assembly_point={"type": "Point", "coordinates": [200, 39.96]}),
        {"assembly_point"},
    ),
    "latitude_out_of_range": (
        lambda: registration(assembly_point={"type": "Point", "coordinates": [-82.99, 95]}),
        {"assembly_point"},
    ),
    "route_out_of_range": (
        lambda: registration(kind="march", route={
            "type": "LineString", "coordinates": [[-82.99, 39.96], [-82.99, 91]]}),
        {"route"},
    ),
    "route_of_one_repeated_point": (
        lambda: registration(kind="march", route={
            "type": "LineString", "coordinates": [[-82.99, 39.96], [-82.99, 39.96]]}),
        {"route"},
    ),
    "malformed_geojson": (
        lambda: registration(assembly_point={"type": "Point", "coordinates": "here"}),
        {"assembly_point"},
    ),
    "point_with_height": (
        lambda: registration(assembly_point={"type": "Point",
                                             "coordinates": [-82.99, 39.96, 10]}),
        {"assembly_point"},
    ),
    "route_with_heights": (
        lambda: registration(kind="march", route={
            "type": "LineString", "coordinates": [[-82.99, 39.96, 1], [-82.98, 39.97, 2]]}),
        {"route"},
    ),
    "point_without_coordinates": (
        lambda: registration(assembly_point={"type": "Point", "coordinates": []}),
        {"assembly_point"},
    ),
    "route_of_one_point": (
        lambda: registration(kind="march", route={
            "type": "LineString", "coordinates": [[-82.99, 39.96]]}),
        {"route"},
    ),
    "feature_instead_of_geometry": (
        lambda: registration(assembly_point={
            "type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": [-82.99, 39.96]}}),
        {"assembly_point"},
    ),
    "geojson_without_type": (
        lambda: registration(assembly_point={"coordinates": [-82.99, 39.96]}),
        {"assembly_point"},
    ),
    "geometry_as_garbage_text": (
        lambda: registration(assembly_point="somewhere downtown"), {"assembly_point"},
    ),
    "missing_assembly_point": (
        lambda: {k: v for k, v in registration().items() if k != "assembly_point"},
        {"assembly_point"},
    ),
    "languages_not_codes": (lambda: registration(languages=["English!"]), {"languages"}),
    "languages_not_a_list": (lambda: registration(languages="en"), {"languages"}),
    "languages_with_a_number": (lambda: registration(languages=["en", 7]), {"languages"}),
    "missing_title": (
        lambda: {k: v for k, v in registration().items() if k != "title"}, {"title"},
    ),
    "bad_email": (lambda: registration(contact_email="not an address"), {"contact_email"}),
    "start_without_offset": (
        lambda: registration(starts_at="2030-05-01 14:00"), set(),
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_REGISTRATIONS))
def test_invalid_registration_is_refused_by_field_and_nothing_is_saved(case, alice, api):
    make_body, fields = INVALID_REGISTRATIONS[case]

    response = api(alice).post(EVENTS, make_body())

    assert response.status_code == 400, response.json()
    body = response.json()
    assert fields <= set(body), body
    for messages in body.values():
        assert isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
    nothing_was_saved()


def test_every_mistake_is_reported_at_once(alice, api):
    starts = timezone.now() + dt.timedelta(days=1)
    response = api(alice).post(EVENTS, registration(
        kind="march", starts_at=iso(starts), ends_at=iso(starts - dt.timedelta(hours=1)),
        languages=["??"],
    ))

    assert response.status_code == 400
    assert {"ends_at", "route", "languages"} <= set(response.json())


def test_counter_demonstration_names_the_one_it_answers(alice, mallory, api):
    other = services.register_event(organiser=mallory, **event_fields())
    mine = services.register_event(organiser=alice, **event_fields(title="Mine"))

    hidden = api(alice).post(EVENTS, registration(kind="counter", counter_to=other.pk))
    ok = api(alice).post(EVENTS, registration(kind="counter", counter_to=mine.pk))
    not_counter = api(alice).post(EVENTS, registration(kind="static", counter_to=mine.pk))

    # Mallory's event is not Alice's to see: it reads as no such demonstration.
    assert hidden.status_code == 400
    assert "counter_to" in hidden.json()
    assert ok.status_code == 201, ok.json()
    assert ok.json()["counter_to"] == mine.pk
    assert not_counter.status_code == 400
    assert "counter_to" in not_counter.json()


# --- Reading -----------------------------------------------------------------------------


def test_organiser_reads_her_event_with_contacts(alices_event, alice, api):
    response = api(alice).get(f"{EVENTS}{alices_event.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ALL_FIELDS
    assert body["reference"] == alices_event.reference
    assert body["contact_email"] == "alice@example.org"
    assert body["starts_at"].endswith("Z")


def test_organiser_cannot_see_another_organisers_event(alices_event, mallory, api):
    hidden = api(mallory).get(f"{EVENTS}{alices_event.pk}/")
    missing = api(mallory).get(f"{EVENTS}999999/")

    assert hidden.status_code == 404
    assert hidden.json() == missing.json()


def test_organisers_list_only_their_own_events(alices_event, alice, mallory, api):
    malloys = services.register_event(organiser=mallory, **event_fields(title="Other"))

    alices_list = api(alice).get(EVENTS).json()["results"]
    mallorys_list = api(mallory).get(EVENTS).json()["results"]

    assert [e["id"] for e in alices_list] == [alices_event.pk]
    assert [e["id"] for e in mallorys_list] == [malloys.pk]


@pytest.mark.parametrize("person", ["bob", "carol"])
def test_police_and_city_see_every_event(person, alices_event, mallory, api, request):
    other = services.register_event(organiser=mallory, **event_fields(title="Other"))
    client = api(request.getfixturevalue(person))

    listed = client.get(EVENTS).json()

    assert listed["count"] == 2
    assert {e["id"] for e in listed["results"]} == {alices_event.pk, other.pk}
    assert client.get(f"{EVENTS}{other.pk}/").status_code == 200


def _conclude(event, carol):
    for state in ("under_review", "agreed", "live", "concluded"):
        services.transition_event(event, to=state, actor=carol)
    event.refresh_from_db()


def test_reviewer_sees_only_concluded_events(alices_event, carol, dave, mallory, api):
    other = services.register_event(organiser=mallory, **event_fields(title="Other"))
    client = api(dave)

    assert client.get(EVENTS).json()["results"] == []
    assert client.get(f"{EVENTS}{alices_event.pk}/").status_code == 404

    _conclude(alices_event, carol)

    assert [e["id"] for e in client.get(EVENTS).json()["results"]] == [alices_event.pk]
    assert client.get(f"{EVENTS}{alices_event.pk}/").status_code == 200
    assert client.get(f"{EVENTS}{other.pk}/").status_code == 404


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_contacts_are_shown_to_organisers_city_and_member_police(person, alices_event, api,
                                                                 request):
    client = api(request.getfixturevalue(person))

    detail = client.get(f"{EVENTS}{alices_event.pk}/").json()
    listed = client.get(EVENTS).json()["results"][0]

    assert set(detail) >= CONTACT_FIELDS
    assert detail["contact_phone"] == "+1 614 555 0100"
    assert set(listed) >= CONTACT_FIELDS


def test_contacts_are_absent_for_police_who_are_not_members(alices_event, api):
    erin = make_user("erin", "police", name="Erin Other")
    client = api(erin)

    detail = client.get(f"{EVENTS}{alices_event.pk}/").json()
    listed = client.get(EVENTS).json()["results"][0]

    assert detail["reference"] == alices_event.reference
    assert not CONTACT_FIELDS & set(detail)
    assert not CONTACT_FIELDS & set(listed)
    assert "+1 614 555 0100" not in str(detail)


def test_contacts_are_absent_for_reviewers(alices_event, carol, dave, api):
    _conclude(alices_event, carol)

    detail = api(dave).get(f"{EVENTS}{alices_event.pk}/").json()

    assert detail["state"] == "concluded"
    assert not CONTACT_FIELDS & set(detail)


def test_contacts_are_shown_to_city_staff_who_are_not_members(alices_event, api):
    frank = make_user("frank", "city", name="Frank Desk")

    detail = api(frank).get(f"{EVENTS}{alices_event.pk}/").json()

    assert detail["contact_email"] == "alice@example.org"


def test_contacts_are_absent_in_transition_answers_for_non_member_police(alices_event, carol,
                                                                          api):
    erin = make_user("erin", "police")
    services.transition_event(alices_event, to="under_review", actor=carol)

    response = api(erin).post(f"{EVENTS}{alices_event.pk}/transitions/", {"to": "agreed"})

    assert response.status_code == 403
    assert not CONTACT_FIELDS & set(response.json())


# --- Listing filters ---------------------------------------------------------------------


@pytest.fixture
def three_events(alice, carol):
    """A draft tomorrow downtown, a submitted one in a week in the north, and a march."""
    now = timezone.now()
    tomorrow = services.register_event(organiser=alice, **event_fields(
        title="Tomorrow", starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1, hours=2)))
    next_week = services.register_event(organiser=alice, **event_fields(
        title="Next week", starts_at=now + dt.timedelta(days=7),
        ends_at=now + dt.timedelta(days=7, hours=2),
        assembly_point=Point(-83.0, 40.5, srid=4326)))
    services.transition_event(next_week, to="submitted", actor=alice)
    march = services.register_event(organiser=alice, **march_fields(
        starts_at=now + dt.timedelta(days=3), ends_at=now + dt.timedelta(days=3, hours=2),
        assembly_point=Point(-84.0, 41.0, srid=4326)))
    return tomorrow, next_week, march


def _ids(response):
    assert response.status_code == 200, response.json()
    return [e["id"] for e in response.json()["results"]]


def test_list_is_ordered_by_start_and_paginated(three_events, carol, api):
    tomorrow, next_week, march = three_events

    body = api(carol).get(EVENTS).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [e["id"] for e in body["results"]] == [tomorrow.pk, march.pk, next_week.pk]


def test_list_filters_by_state(three_events, carol, api):
    tomorrow, next_week, march = three_events
    client = api(carol)

    assert _ids(client.get(EVENTS, {"state": "submitted"})) == [next_week.pk]
    assert _ids(client.get(EVENTS, {"state": "draft,submitted"})) == [
        tomorrow.pk, march.pk, next_week.pk]
    assert _ids(client.get(EVENTS, {"state": "agreed"})) == []


def test_list_filters_by_start_time(three_events, carol, api):
    tomorrow, next_week, march = three_events
    now = timezone.now()
    client = api(carol)

    after = client.get(EVENTS, {"starts_after": iso(now + dt.timedelta(days=2))})
    before = client.get(EVENTS, {"starts_before": iso(now + dt.timedelta(days=2))})
    between = client.get(EVENTS, {"starts_after": iso(now + dt.timedelta(days=2)),
                                  "starts_before": iso(now + dt.timedelta(days=5))})
    offset = client.get(EVENTS, {"starts_after": (now + dt.timedelta(days=2)).astimezone(
        dt.timezone(dt.timedelta(hours=-5))).isoformat()})

    assert _ids(after) == [march.pk, next_week.pk]
    assert _ids(before) == [tomorrow.pk]
    assert _ids(between) == [march.pk]
    assert _ids(offset) == [march.pk, next_week.pk]


def test_list_filters_by_bounding_box(three_events, carol, api):
    tomorrow, next_week, march = three_events
    client = api(carol)

    downtown = client.get(EVENTS, {"bbox": "-83.1,39.9,-82.9,40.0"})
    north = client.get(EVENTS, {"bbox": "-83.1,40.4,-82.9,40.6"})
    nowhere = client.get(EVENTS, {"bbox": "10,10,11,11"})

    # The march assembles far away but its route runs downtown.
    assert _ids(downtown) == [tomorrow.pk, march.pk]
    assert _ids(north) == [next_week.pk]
    assert _ids(nowhere) == []


def test_list_filters_combine_with_visibility(three_events, mallory, api):
    assert _ids(api(mallory).get(EVENTS, {"state": "draft,submitted"})) == []


@pytest.mark.parametrize("params, field", [
    ({"state": "happy"}, "state"),
    ({"starts_after": "yesterday"}, "starts_after"),
    ({"starts_after": "2030-05-01T14:00:00"}, "starts_after"),
    ({"starts_before": "2030-13-45T14:00:00Z"}, "starts_before"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": "10,10,5,5"}, "bbox"),
    ({"bbox": "-200,0,0,10"}, "bbox"),
    ({"bbox": "nan,0,1,1"}, "bbox"),
])
def test_malformed_filters_are_refused_by_name(params, field, carol, api):
    response = api(carol).get(EVENTS, params)

    assert response.status_code == 400
    assert field in response.json()


# --- Editing -----------------------------------------------------------------------------


def test_organiser_edits_her_draft(alice, api):
    event = services.register_event(organiser=alice, **event_fields())

    response = api(alice).patch(f"{EVENTS}{event.pk}/", {"title": "Save all libraries",
                                                         "stewards": 12})

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Save all libraries"
    event.refresh_from_db()
    assert (event.title, event.stewards) == ("Save all libraries", 12)
    entry = event.log_entries.order_by("-seq").first()
    assert (entry.seq, entry.kind) == (2, "event.changed")
    assert entry.data == {"title": "Save all libraries", "stewards": 12}


def test_editing_nothing_logs_nothing(alice, api):
    event = services.register_event(organiser=alice, **event_fields())

    response = api(alice).patch(f"{EVENTS}{event.pk}/", {"title": event.title})

    assert response.status_code == 200
    assert event.log_entries.count() == 1


def test_organiser_edits_when_changes_were_requested(alices_event, alice, carol, api):
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="changes_requested", actor=carol,
                              note="Please add stewards.")

    response = api(alice).patch(f"{EVENTS}{alices_event.pk}/", {"stewards": 30})

    assert response.status_code == 200, response.json()
    assert response.json()["stewards"] == 30


def test_co_organiser_may_edit(alice, api):
    event = services.register_event(organiser=alice, **event_fields())
    zoe = make_user("zoe", "organiser")
    services.add_member(event, username="zoe", actor=alice)

    response = api(zoe).patch(f"{EVENTS}{event.pk}/", {"stewards": 3})

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("state", ["submitted", "under_review", "live", "concluded",
                                   "withdrawn", "cancelled"])
def test_organiser_cannot_edit_while_it_is_reviewed_or_once_it_is_live(state, alice, carol, api):
    # An agreed demonstration is amended instead (tests/events/test_amendments.py).
    event = services.register_event(organiser=alice, **event_fields())
    Event.objects.filter(pk=event.pk).update(state=state)

    response = api(alice).patch(f"{EVENTS}{event.pk}/", {"title": "Late change"})

    assert response.status_code == 409
    assert "draft" in response.json()["detail"].lower()
    event.refresh_from_db()
    assert event.title == "Save the library"
    assert event.log_entries.count() == 1


@pytest.mark.parametrize("person", ["bob", "carol"])
def test_police_and_city_cannot_edit_a_registration(person, alices_event, api, request):
    Event.objects.filter(pk=alices_event.pk).update(state="draft")

    response = api(request.getfixturevalue(person)).patch(
        f"{EVENTS}{alices_event.pk}/", {"title": "Renamed by officials"})

    assert response.status_code == 403
    assert "organisers" in response.json()["detail"]
    alices_event.refresh_from_db()
    assert alices_event.title == "Save the library"


def test_officials_are_refused_for_their_role_even_with_a_bad_edit(alices_event, carol, api):
    Event.objects.filter(pk=alices_event.pk).update(state="draft")

    response = api(carol).patch(f"{EVENTS}{alices_event.pk}/", {"stewards": -1})

    assert response.status_code == 403


def test_reviewer_cannot_edit(alices_event, carol, dave, api):
    _conclude(alices_event, carol)

    response = api(dave).patch(f"{EVENTS}{alices_event.pk}/", {"title": "x"})

    assert response.status_code == 403


def test_other_organiser_cannot_edit_and_learns_nothing(alices_event, mallory, api):
    response = api(mallory).patch(f"{EVENTS}{alices_event.pk}/", {"title": "Mine now"})

    assert response.status_code == 404


def test_edit_cannot_change_state_reference_or_organiser(alice, mallory, api):
    event = services.register_event(organiser=alice, **event_fields())

    response = api(alice).patch(f"{EVENTS}{event.pk}/", {
        "state": "agreed", "reference": "PAR-1999-0001", "organiser": "mallory"})

    assert response.status_code == 200
    event.refresh_from_db()
    assert event.state == "draft"
    assert event.reference != "PAR-1999-0001"
    assert event.organiser == alice


@pytest.mark.parametrize("change, field", [
    ({"ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
    ({"starts_at": "2000-01-01T00:00:00Z"}, "starts_at"),
    ({"expected_attendance": 0}, "expected_attendance"),
    ({"kind": "march"}, "route"),
    ({"assembly_point": {"type": "Point", "coordinates": [0, 100]}}, "assembly_point"),
    ({"languages": ["not a code"]}, "languages"),
])
def test_invalid_edit_is_refused_and_nothing_changes(change, field, alice, api):
    event = services.register_event(organiser=alice, **event_fields())

    response = api(alice).patch(f"{EVENTS}{event.pk}/", change)

    assert response.status_code == 400
    assert field in response.json()
    event.refresh_from_db()
    assert event.kind == "static" and event.expected_attendance == 200
    assert event.log_entries.count() == 1


def test_put_and_delete_are_not_offered(alice, api):
    event = services.register_event(organiser=alice, **event_fields())

    assert api(alice).put(f"{EVENTS}{event.pk}/", registration()).status_code == 405
    assert api(alice).delete(f"{EVENTS}{event.pk}/").status_code == 405
    assert Event.objects.filter(pk=event.pk).exists()


def test_officials_are_refused_for_their_role_even_with_a_bad_registration(bob, api):
    response = api(bob).post(EVENTS, registration(stewards=-1))

    assert response.status_code == 403


def test_late_bad_edit_hears_about_the_state_not_the_input(alices_event, alice, api):
    response = api(alice).patch(f"{EVENTS}{alices_event.pk}/", {"stewards": -1})

    assert response.status_code == 409
    assert "Submitted" in response.json()["detail"]


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": "here"},
    {"type": "Point", "coordinates": [None, 39.9]},
    "somewhere downtown",
    "POINT(-82.99 39.96)",  # WKT is not GeoJSON
    [1, 2],
])
def test_unreadable_geometry_is_explained_in_plain_words(geometry, alice, api):
    response = api(alice).post(EVENTS, registration(assembly_point=geometry))

    assert response.status_code == 400
    message = response.json()["assembly_point"][0]
    assert "GeoJSON" in message
    assert "OGR" not in message and "python" not in message


def test_height_is_refused_in_words(alice, api):
    response = api(alice).post(EVENTS, registration(
        assembly_point={"type": "Point", "coordinates": [-82.99, 39.96, 10]}))

    assert response.status_code == 400
    assert "height" in response.json()["assembly_point"][0]
