"""Amending an agreed demonstration, and the risky steps of its workflow (issue 15, points 5
and 7): an organiser changes an agreed demonstration until it is live, and it goes back to the
city with what changed; withdrawing asks for a reason and a confirmation; marking live waits
until PARLEY_LIVE_WINDOW_HOURS before the start.

alice organises, bob is police, carol is the city; mallory organises another demonstration.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from coordination.models import LogEntry
from events import services
from events.models import Event
from public import selectors as public
from review.timeline import timeline_entries, timeline_rows
from tests.support.accounts import log_in
from tests.support.public import agreed, agreed_zone
from tests.support.zones import iso
from zones.models import ZoneAgreement

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


def amended_entries(event) -> list[LogEntry]:
    return list(LogEntry.objects.filter(event=event, kind="event.amended").order_by("seq"))


# --- Amending through the API ----------------------------------------------------------------

def test_organiser_amends_an_agreed_demonstration_and_it_goes_back_to_the_city(
        agreed_event, alice, api):
    old_start, old_end = agreed_event.starts_at, agreed_event.ends_at
    new_start = old_start + dt.timedelta(hours=3)

    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/", {
        "title": "Save the library, later",
        "starts_at": iso(new_start), "ends_at": iso(new_start + dt.timedelta(hours=2)),
        "assembly_point": {"type": "Point", "coordinates": [-82.99, 39.97]},
        "stewards": 10,  # as it was: not a change
    }, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"
    (entry,) = amended_entries(agreed_event)
    assert set(entry.data) == {"title", "starts_at", "ends_at", "assembly_point"}
    assert entry.data["title"] == {"from": "Save the library", "to": "Save the library, later"}
    assert dt.datetime.fromisoformat(entry.data["starts_at"]["from"]) == old_start
    assert dt.datetime.fromisoformat(entry.data["starts_at"]["to"]) == new_start
    assert entry.data["assembly_point"] == {
        "from": {"type": "Point", "coordinates": [-82.9988, 39.9612]},
        "to": {"type": "Point", "coordinates": [-82.99, 39.97]},
    }
    # One entry says it all: no separate change of state.
    assert not LogEntry.objects.filter(event=agreed_event, kind="event.transition",
                                       seq__gt=entry.seq).exists()
    assert old_end != Event.objects.get(pk=agreed_event.pk).ends_at


def test_an_amendment_keeps_contact_details_out_of_the_log(agreed_event, alice, api):
    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/",
                                {"contact_phone": "+1 614 555 0199"}, format="json")

    assert response.status_code == 200, response.json()
    (entry,) = amended_entries(agreed_event)
    assert entry.data == {"contact_phone": {"from": "[withheld]", "to": "[withheld]"}}


def test_an_amendment_is_validated_as_a_registration(agreed_event, alice, api):
    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/", {
        "starts_at": iso(timezone.now() - dt.timedelta(hours=1)), "expected_attendance": 0,
    }, format="json")

    assert response.status_code == 400
    assert set(response.json()) >= {"expected_attendance"}
    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/", {
        "starts_at": iso(timezone.now() - dt.timedelta(hours=1))}, format="json")
    assert response.status_code == 400
    assert "future" in response.json()["starts_at"][0]
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed" and amended_entries(agreed_event) == []


def test_nothing_changed_is_refused_with_a_clear_message(agreed_event, alice, api):
    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/",
                                {"title": agreed_event.title}, format="json")

    assert response.status_code == 400
    (message,) = response.json()["non_field_errors"]
    assert message.startswith("Nothing changed")
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed"


@pytest.mark.parametrize(("person", "status"), [("mallory", 404), ("bob", 403), ("carol", 403)])
def test_only_its_organisers_amend_an_agreed_demonstration(person, status, agreed_event, api,
                                                           mallory, request):
    response = api(request.getfixturevalue(person)).patch(
        f"{EVENTS}{agreed_event.pk}/", {"title": "Not theirs"}, format="json")

    assert response.status_code == status
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed" and agreed_event.title == "Save the library"


@pytest.mark.parametrize("state", ["live", "concluded"])
def test_a_live_or_concluded_demonstration_cannot_be_amended(state, agreed_event, alice, carol,
                                                              api):
    services.transition_event(agreed_event, to="live", actor=carol)
    if state == "concluded":
        services.transition_event(agreed_event, to="concluded", actor=carol)

    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/", {"title": "Too late"},
                                format="json")

    assert response.status_code == 409
    assert "agreed" in response.json()["detail"]
    assert amended_entries(agreed_event) == []


def test_zone_agreements_stay_with_their_versions_after_an_amendment(agreed_event, alice, bob,
                                                                      carol, api):
    zone = agreed_zone(agreed_event, alice, bob, carol, kind="first_aid")
    before = (zone.status, zone.version, sorted(ZoneAgreement.objects.filter(
        zone=zone).values_list("version__number", "party", "at")))

    response = api(alice).patch(f"{EVENTS}{agreed_event.pk}/", {"expected_attendance": 400},
                                format="json")

    assert response.status_code == 200, response.json()
    zone.refresh_from_db()
    after = (zone.status, zone.version, sorted(ZoneAgreement.objects.filter(
        zone=zone).values_list("version__number", "party", "at")))
    assert after == before
    assert before[0] == "agreed" and len(before[2]) == 3


def test_the_timeline_says_what_an_amendment_changed(agreed_event, alice):
    services.amend_event(agreed_event, actor=alice, title="Save the library, later",
                         stewards=12)

    rows = timeline_rows(agreed_event, timeline_entries(agreed_event))

    (row,) = [row for row in rows if row.kind == "event.amended"]
    assert row.description == ("Amended the agreed registration, which goes back to the city "
                               "for agreement: stewards, title.")


# --- Withdrawing and going live --------------------------------------------------------------

def test_withdrawing_without_a_reason_is_refused_and_with_one_it_is_logged(
        agreed_event, alice, api):
    url = f"{EVENTS}{agreed_event.pk}/transitions/"

    refused = api(alice).post(url, {"to": "withdrawn"}, format="json")
    done = api(alice).post(url, {"to": "withdrawn", "note": "The library closed."},
                           format="json")

    assert refused.status_code == 400 and refused.json()["note"] == ["Please give a reason."]
    assert done.status_code == 200 and done.json()["state"] == "withdrawn"
    entry = LogEntry.objects.filter(event=agreed_event, kind="event.transition").latest("seq")
    assert entry.data == {"from": "agreed", "to": "withdrawn", "note": "The library closed."}


def test_marking_live_too_early_is_refused_saying_when_it_will_be_possible(
        agreed_event, carol, api, settings):
    settings.PARLEY_LIVE_WINDOW_HOURS = 24
    Event.objects.filter(pk=agreed_event.pk).update(
        starts_at=timezone.now() + dt.timedelta(days=3),
        ends_at=timezone.now() + dt.timedelta(days=3, hours=2))

    response = api(carol).post(f"{EVENTS}{agreed_event.pk}/transitions/", {"to": "live"},
                               format="json")

    assert response.status_code == 409
    detail = response.json()["detail"].replace("\xa0", " ")  # timeuntil's spaces
    assert detail.startswith("It is too early to mark this demonstration live")
    assert "24 hours before its start" in detail and "(in 1 day, 23 hours)" in detail
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed"


def test_just_inside_the_window_the_city_marks_it_live(agreed_event, carol, api, settings):
    settings.PARLEY_LIVE_WINDOW_HOURS = 24
    starts = timezone.now() + dt.timedelta(hours=24) - dt.timedelta(minutes=1)
    Event.objects.filter(pk=agreed_event.pk).update(starts_at=starts,
                                                    ends_at=starts + dt.timedelta(hours=2))

    response = api(carol).post(f"{EVENTS}{agreed_event.pk}/transitions/", {"to": "live"},
                               format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "live"


# --- The pages -------------------------------------------------------------------------------

def form_data(event: Event, **changes) -> dict:
    """The edit form of ``event`` as the browser sends it back, with ``changes``."""
    data = {
        "title": event.title, "kind": event.kind, "organisation": event.organisation,
        "description": event.description, "expected_attendance": event.expected_attendance,
        "stewards": event.stewards,
        "starts_at": timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
        "assembly_point": event.assembly_point.geojson,
        "languages": list(event.languages), "contact_name": event.contact_name,
        "contact_phone": event.contact_phone, "contact_email": event.contact_email,
        "public": "on",
    }
    data.update(changes)
    return data


def test_organiser_edits_the_agreed_demonstration_and_the_city_sees_what_changed(
        client, agreed_event, alice, carol):
    log_in(client, alice)
    page = client.get(agreed_event.get_absolute_url()).content.decode()
    assert 'id="edit-link"' in page
    assert "Saving changes sends it back to the city for agreement." in page
    edit = reverse("events:edit", args=[agreed_event.pk])
    form = client.get(edit).content.decode()
    assert 'id="amend-notice"' in form and "Save and send to the city for agreement" in form

    response = client.post(edit, form_data(agreed_event, title="Save the library, later",
                                           stewards="14"), follow=True)

    assert "sent to the city" in response.content.decode()
    agreed_event.refresh_from_db()
    assert agreed_event.state == "submitted" and agreed_event.title == "Save the library, later"
    (entry,) = amended_entries(agreed_event)
    assert set(entry.data) == {"title", "stewards"}
    log_in(client, carol)
    page = client.get(agreed_event.get_absolute_url()).content.decode()
    assert "Changed since it was agreed" in page
    assert "<del>Save the library</del>" in page and "<ins>Save the library, later</ins>" in page
    assert "<del>10</del>" in page and "<ins>14</ins>" in page


def test_saving_an_agreed_demonstration_unchanged_says_nothing_changed(client, agreed_event,
                                                                        alice):
    log_in(client, alice)

    response = client.post(reverse("events:edit", args=[agreed_event.pk]),
                           form_data(agreed_event))

    assert response.status_code == 200
    assert "Nothing changed" in response.content.decode()
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed"


def test_withdrawing_on_the_page_asks_for_a_reason_and_a_confirmation(client, agreed_event,
                                                                       alice):
    log_in(client, alice)
    page = client.get(agreed_event.get_absolute_url()).content.decode()
    assert "Reason for withdrawing (required)" in page
    url = reverse("events:transition", args=[agreed_event.pk])

    confirm = client.post(url, {"to": "withdrawn", "note": "The library closed."})

    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "Confirm withdrawal" in text and "cannot be undone" in text
    assert ">The library closed.</textarea>" in text
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed"

    no_reason = client.post(url, {"to": "withdrawn", "note": "", "confirmed": "on"})
    assert no_reason.status_code == 200 and "Please give a reason." in no_reason.content.decode()
    agreed_event.refresh_from_db()
    assert agreed_event.state == "agreed"

    client.post(url, {"to": "withdrawn", "note": "The library closed.", "confirmed": "on"})
    agreed_event.refresh_from_db()
    assert agreed_event.state == "withdrawn"
    entry = LogEntry.objects.filter(event=agreed_event, kind="event.transition").latest("seq")
    assert entry.data["note"] == "The library closed."


def test_mark_live_is_not_offered_before_the_window_opens(client, agreed_event, carol,
                                                          settings):
    settings.PARLEY_LIVE_WINDOW_HOURS = 24
    Event.objects.filter(pk=agreed_event.pk).update(
        starts_at=timezone.now() + dt.timedelta(days=2),
        ends_at=timezone.now() + dt.timedelta(days=2, hours=2))
    log_in(client, carol)

    page = client.get(agreed_event.get_absolute_url()).content.decode()

    assert 'disabled aria-describedby="too-early-live"' in page
    assert "It is too early to mark this demonstration live" in page


# --- The public page -------------------------------------------------------------------------

def notices_of(event) -> list[str]:
    (shown,) = [e for e in public.public_events() if e.pk == event.pk]
    return [notice.what for notice in shown.notices]


def test_an_amended_public_demonstration_stays_listed_while_the_city_looks_at_the_changes(
        alice, carol):
    event = agreed(alice, carol, title="Save the library")
    later = event.starts_at + dt.timedelta(hours=1)

    services.amend_event(event, actor=alice, starts_at=later,
                         ends_at=later + dt.timedelta(hours=2))

    assert notices_of(event) == ["agreed", "under_review"]
    (shown,) = [e for e in public.public_events() if e.pk == event.pk]
    assert shown.changes_under_review and not shown.on_the_map
    services.transition_event(event, to="under_review", actor=carol)
    services.transition_event(event, to="agreed", actor=carol)
    assert notices_of(event) == ["agreed", "under_review", "changed"]
    assert public.Notice(id=0, event_pk=0, reference="", title="", at=later,
                         what="changed").text.startswith("Its times or places changed")


def test_an_amendment_the_public_does_not_see_is_agreed_again_without_changed_notice(
        alice, carol):
    event = agreed(alice, carol, assembly_point=Point(-82.9988, 39.9612, srid=4326))

    services.amend_event(event, actor=alice, stewards=30)
    services.transition_event(event, to="under_review", actor=carol)
    services.transition_event(event, to="agreed", actor=carol)

    assert notices_of(event) == ["agreed", "under_review", "agreed"]


@pytest.mark.parametrize("person", ["bob", "carol"])
def test_only_organisers_are_asked_to_confirm_a_withdrawal(person, client, agreed_event,
                                                           request):
    log_in(client, request.getfixturevalue(person))

    response = client.post(reverse("events:transition", args=[agreed_event.pk]),
                           {"to": "withdrawn", "note": "Not ours to withdraw."})

    assert response.status_code == 403
