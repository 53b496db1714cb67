"""Incidents on a demonstration's map: police members and city staff report them while it is
agreed or live; everyone who sees the demonstration sees them; each is in the log.

alice organises the demonstration; bob (police) and carol (city) are its members; erin is a
police officer who is not; frank is city staff who is not a member; dave reviews; mallory
organises another demonstration.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from coordination.errors import Conflict
from coordination.log import format_timestamp, verify_event_log
from coordination.models import LogEntry
from events import services as event_services
from tests.support.accounts import log_in
from tests.support.factories import make_user
from zones import incidents
from zones.models import Incident

PLACE = {"type": "Point", "coordinates": [-82.9990, 39.9615]}


@pytest.fixture
def backdated_event(agreed_event):
    """Alice's agreed demonstration, registered two days ago (incidents may not predate it)."""
    return registered_days_ago(agreed_event)


def registered_days_ago(event, days: int = 2):
    """The demonstration as if registered some days ago (incidents may not predate it)."""
    type(event).objects.filter(pk=event.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days))
    event.refresh_from_db()
    return event


def url(event) -> str:
    return reverse("api:event-incidents", args=[event.pk])


def report(event, reporter, **overrides):
    fields = {"event": event, "reporter": reporter, "location": Point(-82.999, 39.9615),
              "severity": "medium", "description": "Bottle thrown near the steps"}
    fields.update(overrides)
    return incidents.report_incident(**fields)


# --- The service ------------------------------------------------------------------------


def test_a_reported_incident_is_logged_with_when_it_happened(backdated_event, bob):
    happened = timezone.now() - dt.timedelta(minutes=10)
    incident = report(backdated_event, bob, happened_at=happened, severity="high")

    entry = LogEntry.objects.filter(event=backdated_event).order_by("-seq").first()
    assert entry.kind == "incident.reported"
    assert entry.actor["id"] == bob.pk
    assert entry.data == {
        "incident_id": incident.pk,
        "happened_at": format_timestamp(happened),
        "severity": "high",
        "description": "Bottle thrown near the steps",
        "location": {"type": "Point", "coordinates": [-82.999, 39.9615]},
    }
    # Both times are kept: when it happened, and when Parley recorded it.
    assert incident.happened_at == happened
    assert incident.recorded_at - happened >= dt.timedelta(minutes=10)
    assert verify_event_log(backdated_event.pk).valid


def test_an_incident_happened_now_unless_told_otherwise(backdated_event, carol):
    before = timezone.now()
    incident = report(backdated_event, carol)
    assert before <= incident.happened_at == incident.recorded_at <= timezone.now()


def test_when_the_log_cannot_be_written_no_incident_is_stored(backdated_event, bob, monkeypatch):
    def broken_log(*args, **kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(incidents, "record", broken_log)
    with pytest.raises(RuntimeError):
        report(backdated_event, bob)
    assert not Incident.objects.exists()


def test_incidents_are_reported_only_while_the_demonstration_is_agreed_or_live(
        alices_event, bob, carol):
    with pytest.raises(Conflict, match="once it is agreed"):
        report(alices_event, bob)  # submitted
    event_services.transition_event(alices_event, to="under_review", actor=carol)
    event_services.transition_event(alices_event, to="agreed", actor=carol)
    report(alices_event, bob)
    event_services.transition_event(alices_event, to="live", actor=carol)
    report(alices_event, bob)
    event_services.transition_event(alices_event, to="concluded", actor=carol)
    with pytest.raises(Conflict, match="concluded"):
        report(alices_event, bob)
    assert Incident.objects.count() == 2


def test_organisers_and_police_who_are_not_members_cannot_report(backdated_event, alice, erin):
    for person in (alice, erin):
        with pytest.raises(PermissionDenied):
            report(backdated_event, person)
    assert not Incident.objects.exists()


def test_city_staff_report_on_any_demonstration_they_see(backdated_event, frank):
    assert report(backdated_event, frank).reported_by == frank


def test_every_mistake_is_named_at_once(backdated_event, bob):
    with pytest.raises(ValidationError) as caught:
        report(backdated_event, bob, happened_at=timezone.now() + dt.timedelta(minutes=5),
               severity="catastrophic", description="   ")
    assert set(caught.value.message_dict) == {"happened_at", "severity", "description"}
    assert not LogEntry.objects.filter(kind="incident.reported").exists()


def test_a_time_before_the_registration_is_refused(backdated_event, bob):
    with pytest.raises(ValidationError, match="before the demonstration was registered"):
        report(backdated_event, bob, happened_at=backdated_event.created_at - dt.timedelta(hours=1))


def test_a_minute_of_clock_difference_is_allowed(backdated_event, bob):
    report(backdated_event, bob, happened_at=timezone.now() + dt.timedelta(seconds=30))


# --- The API: who may do what -----------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [
    ("alice", 403), ("bob", 201), ("erin", 403), ("carol", 201), ("frank", 201),
    ("dave", 404), ("mallory", 404), (None, 401),
])
def test_who_may_report_an_incident(api, backdated_event, erin, frank, dave, mallory, who,
                                    expected):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=who) if who else None
    response = api(user).post(url(backdated_event), {
        "location": PLACE, "severity": "low", "description": "Sit-in on the crossing",
    }, format="json")
    assert response.status_code == expected
    if expected != 201:
        assert "detail" in response.json()
    assert Incident.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(("who", "expected"), [
    ("alice", 200), ("bob", 200), ("erin", 200), ("carol", 200), ("dave", 404),
    ("mallory", 404), (None, 401),
])
def test_who_sees_the_incidents(api, backdated_event, bob, erin, dave, mallory, who, expected):
    from django.contrib.auth import get_user_model

    report(backdated_event, bob, description="Road blocked")
    user = get_user_model().objects.get(username=who) if who else None
    response = api(user).get(url(backdated_event))
    assert response.status_code == expected
    if expected == 200:
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        (feature,) = collection["features"]
        assert feature["properties"]["description"] == "Road blocked"


def test_a_reviewer_sees_the_incidents_of_a_concluded_demonstration(api, backdated_event, bob,
                                                                   carol, dave):
    report(backdated_event, bob)
    event_services.transition_event(backdated_event, to="live", actor=carol)
    event_services.transition_event(backdated_event, to="concluded", actor=carol)
    response = api(dave).get(url(backdated_event))
    assert response.status_code == 200
    assert len(response.json()["features"]) == 1


def test_the_created_incident_is_a_feature_with_both_times(api, backdated_event, bob):
    happened = (timezone.now() - dt.timedelta(minutes=3)).replace(microsecond=0)
    response = api(bob).post(url(backdated_event), {
        "location": PLACE, "severity": "high", "description": "Scuffle at the barrier",
        "happened_at": happened.isoformat(),
    }, format="json")
    assert response.status_code == 201
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["geometry"] == PLACE
    properties = feature["properties"]
    assert properties["id"] == feature["id"] == Incident.objects.get().pk
    assert properties["happened_at"] == format_timestamp(happened)
    assert properties["recorded_at"].endswith("Z")
    assert properties["severity"] == "high"
    assert properties["reported_by"] == {"id": bob.pk, "name": "Bob Officer", "role": "police"}


@pytest.mark.parametrize(("change", "field"), [
    ({"location": {"type": "Point", "coordinates": [200, 40]}}, "location"),
    ({"location": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, "location"),
    ({"location": "here"}, "location"),
    ({"severity": "extreme"}, "severity"),
    ({"description": ""}, "description"),
    ({"description": "x" * 501}, "description"),
    ({"happened_at": "2999-01-01T00:00:00Z"}, "happened_at"),
    ({"happened_at": "yesterday"}, "happened_at"),
])
def test_invalid_reports_are_refused_by_field(api, backdated_event, bob, change, field):
    body = {"location": PLACE, "severity": "low", "description": "Noise", **change}
    response = api(bob).post(url(backdated_event), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert isinstance(response.json()[field], list)
    assert not Incident.objects.exists()


def test_a_missing_description_is_named(api, backdated_event, bob):
    response = api(bob).post(url(backdated_event), {"location": PLACE, "severity": "low"},
                             format="json")
    assert response.status_code == 400
    assert "description" in response.json()


def test_reporting_on_a_submitted_demonstration_is_a_conflict(api, alices_event, bob):
    response = api(bob).post(url(alices_event), {
        "location": PLACE, "severity": "low", "description": "Too early"}, format="json")
    assert response.status_code == 409
    assert "agreed" in response.json()["detail"]


def test_the_schema_documents_the_incidents_endpoint(api, carol):
    response = api(carol).get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/events/{id}/incidents/"])
    assert {"post", "delete"} <= set(paths["/api/v1/messages/{id}/key-moment/"])


# --- The event page ---------------------------------------------------------------------


def incident_config(client, user, event) -> dict:
    from tests.support.pages import map_config, page_of

    page = page_of(client, user, event)
    return page, map_config(page)["incidents"]


@pytest.mark.parametrize(("who", "offered"), [
    ("alice", False), ("bob", True), ("erin", False), ("carol", True), ("frank", True),
])
def test_the_page_offers_reporting_exactly_as_the_api_allows(client, backdated_event, erin, frank,
                                                             who, offered):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=who)
    page, config = incident_config(client, user, backdated_event)
    assert config["can_report"] is offered
    assert ("Report an incident" in page) is offered
    assert config["url"] == url(backdated_event)


def test_the_page_offers_no_reporting_before_the_demonstration_is_agreed(client, alices_event,
                                                                          bob):
    page, config = incident_config(client, bob, alices_event)
    assert config["can_report"] is False
    assert "Report an incident" not in page


def test_the_page_gives_every_incident_and_keeps_descriptions_as_text(client, backdated_event,
                                                                      alice, bob):
    xss = '<script>alert("incident")</script>'
    report(backdated_event, bob, description=xss)
    page, config = incident_config(client, alice, backdated_event)
    (feature,) = config["features"]["features"]
    assert feature["properties"]["description"] == xss
    assert xss not in page  # only inside the JSON, escaped


# --- The Django admin -------------------------------------------------------------------


def test_administrators_read_incidents_and_key_moments_but_cannot_change_them(
        client, backdated_event, alice, bob, carol):
    import uuid

    from messaging import key_moments
    from messaging.services import send_message

    incident = report(backdated_event, bob, description="Smoke flare by the steps")
    message, _ = send_message(event=backdated_event, sender=alice, channel="all", kind="message",
                              body="Flare was ours, all fine", client_id=uuid.uuid4())
    moment, _ = key_moments.mark_key_moment(message=message, user=carol, note="Flare")
    log_in(client, make_user("root", "city", is_staff=True, is_superuser=True))

    listing = client.get("/admin/zones/incident/")
    assert listing.status_code == 200 and "Smoke flare by the steps" in listing.content.decode()
    assert client.get(f"/admin/zones/incident/{incident.pk}/change/").status_code == 200
    assert client.get("/admin/zones/incident/add/").status_code == 403
    assert client.post(f"/admin/zones/incident/{incident.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/zones/incident/{incident.pk}/change/",
                       {"description": "edited"}).status_code == 403
    assert client.get("/admin/messaging/keymoment/").status_code == 200
    assert client.post(f"/admin/messaging/keymoment/{moment.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    incident.refresh_from_db()
    assert incident.description == "Smoke flare by the steps"
    assert Incident.objects.count() == 1


def test_a_demonstration_that_does_not_exist_is_not_found(api, carol):
    response = api(carol).post(reverse("api:event-incidents", args=[999999]), {
        "location": PLACE, "severity": "low", "description": "Nowhere"}, format="json")
    assert response.status_code == 404
    assert "detail" in response.json()
