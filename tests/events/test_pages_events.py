"""The demonstration pages, told as the stories of alice, bob, carol, dave and mallory."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event
from tests.support.accounts import log_in
from tests.support.factories import event_fields, march_fields


def form_data(fields: dict) -> dict:
    """Registration fields as the register page's form posts them."""
    data = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif hasattr(value, "geojson"):
            value = value.geojson
        elif isinstance(value, list):
            pass  # one checkbox ticked per language
        elif isinstance(value, bool):
            if not value:
                continue
            value = "on"
        data[name] = value
    data.setdefault("public", "on")
    return data


def errors_of(html: str, field: str) -> str:
    """The text of the error list rendered next to ``field`` (empty when none)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def register_page(client, user, **fields):
    log_in(client, user)
    return client.post(reverse("events:register"), form_data(fields))


# --- The list --------------------------------------------------------------------------------


def test_list_needs_login(client, db):
    response = client.get(reverse("events:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_organiser_list_shows_only_their_events(client, alices_event, mallory):
    mallorys = services.register_event(organiser=mallory, **event_fields(title="Other thing"))
    log_in(client, mallory)
    page = client.get(reverse("events:list")).content.decode()
    assert mallorys.reference in page
    assert alices_event.reference not in page


def test_police_and_city_list_every_event(client, alices_event, bob, carol, mallory):
    mallorys = services.register_event(organiser=mallory, **event_fields(title="Other thing"))
    for user in (bob, carol):
        log_in(client, user)
        page = client.get(reverse("events:list")).content.decode()
        assert alices_event.reference in page and mallorys.reference in page


def test_reviewer_lists_only_concluded_events(client, alices_event, dave):
    log_in(client, dave)
    page = client.get(reverse("events:list")).content.decode()
    assert alices_event.reference not in page
    Event.objects.filter(pk=alices_event.pk).update(state=Event.State.CONCLUDED)
    page = client.get(reverse("events:list")).content.decode()
    assert alices_event.reference in page


def test_list_shows_reference_title_kind_state_and_start(client, alices_event, carol):
    log_in(client, carol)
    page = client.get(reverse("events:list")).content.decode()
    for text in (alices_event.reference, "Save the library", "Static demonstration",
                 "Submitted", alices_event.starts_at.strftime("%Y")):
        assert text in page


def test_city_filters_the_list_by_state_and_dates(client, alices_event, carol, alice):
    later = services.register_event(organiser=alice, **event_fields(
        title="Later", starts_at=timezone.now() + dt.timedelta(days=30),
        ends_at=timezone.now() + dt.timedelta(days=30, hours=2),
    ))
    log_in(client, carol)
    page = client.get(reverse("events:list"), {"state": "draft"}).content.decode()
    assert later.reference in page and alices_event.reference not in page

    tomorrow = (timezone.now() + dt.timedelta(days=1)).date()
    page = client.get(reverse("events:list"), {"starts_before": tomorrow.isoformat()})
    page = page.content.decode()
    assert alices_event.reference in page and later.reference not in page

    page = client.get(reverse("events:list"),
                      {"starts_after": (tomorrow + dt.timedelta(days=2)).isoformat()})
    page = page.content.decode()
    assert later.reference in page and alices_event.reference not in page


# --- The detail page -------------------------------------------------------------------------


def test_outsider_organiser_gets_404_for_someone_elses_event(client, alices_event, mallory):
    log_in(client, mallory)
    assert client.get(alices_event.get_absolute_url()).status_code == 404
    assert client.get(reverse("events:edit", args=[alices_event.pk])).status_code == 404
    response = client.post(reverse("events:transition", args=[alices_event.pk]),
                           {"to": "withdrawn", "note": "Plans changed."})
    assert response.status_code == 404
    response = client.post(reverse("events:add_member", args=[alices_event.pk]),
                           {"username": "mallory"})
    assert response.status_code == 404


def test_missing_event_is_404_like_a_hidden_one(client, carol):
    log_in(client, carol)
    assert client.get(reverse("events:detail", args=[999999])).status_code == 404


def test_reviewer_gets_404_until_the_event_is_concluded(client, alices_event, dave):
    log_in(client, dave)
    assert client.get(alices_event.get_absolute_url()).status_code == 404
    Event.objects.filter(pk=alices_event.pk).update(state=Event.State.CONCLUDED)
    assert client.get(alices_event.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_organiser_assigned_police_and_city_see_the_contacts(client, alices_event, who, request):
    log_in(client, request.getfixturevalue(who))
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert "+1 614 555 0100" in page
    assert "alice@example.org" in page


def test_unassigned_police_does_not_see_the_contacts(client, alices_event):
    from tests.support.factories import make_user

    eve = make_user("eve", "police", name="Eve Patrol")
    log_in(client, eve)
    response = client.get(alices_event.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Save the library" in page
    assert "+1 614 555 0100" not in page
    assert "alice@example.org" not in page
    assert "Contact on the day" not in page


def test_reviewer_does_not_see_the_contacts(client, alices_event, dave):
    Event.objects.filter(pk=alices_event.pk).update(state=Event.State.CONCLUDED)
    log_in(client, dave)
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert "Save the library" in page
    assert "+1 614 555 0100" not in page
    assert "alice@example.org" not in page


def test_detail_page_shows_the_fields_members_and_map_data(client, alice, carol):
    event = services.register_event(organiser=alice, **march_fields(
        description="Bring <b>banners</b>", accessibility_needs="Step-free route"))
    services.add_member(event, username="carol", actor=carol)
    log_in(client, carol)
    response = client.get(event.get_absolute_url())
    page = response.content.decode()
    for text in ("March for the river", "Friends of the Library", "Step-free route",
                 "English, Spanish",
                 "Alice Martin", "Carol City", "City official", 'id="event-geometry"',
                 "zones/zone_map.js", "LineString"):
        assert text in page, text
    assert "<b>banners</b>" not in page  # descriptions are shown escaped
    assert "&lt;b&gt;banners&lt;/b&gt;" in page


def test_event_page_does_not_show_the_log(client, alices_event, carol):
    log_in(client, carol)
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert "event.created" not in page


# --- Transition buttons per role ---------------------------------------------------------------


def buttons(client, user, event) -> set[str]:
    log_in(client, user)
    page = client.get(event.get_absolute_url()).content.decode()
    return set(re.findall(r'<input type="hidden" name="to" value="([a-z_]+)">', page))


def test_city_sees_review_and_cancel_buttons_on_a_submitted_event(client, alices_event, carol):
    assert buttons(client, carol, alices_event) == {"under_review", "cancelled"}
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert "Take under review" in page and "Reason for cancelling" in page


def test_citys_cancel_button_says_it_cancels_the_demonstration(client, alices_event, carol):
    log_in(client, carol)
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert re.search(r'value="cancelled">.*?<button[^>]*>\s*Cancel the demonstration\s*</button>',
                     page, re.S), "the cancel button reads like 'close this'"


def test_city_sees_request_changes_agree_and_cancel_when_under_review(
    client, alices_event, carol
):
    services.transition_event(alices_event, to="under_review", actor=carol)
    assert buttons(client, carol, alices_event) == {"changes_requested", "agreed", "cancelled"}
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert "Request changes" in page and "Agree" in page
    assert 'name="note"' in page


def test_city_sees_mark_live_then_conclude(client, alices_event, carol):
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="agreed", actor=carol)
    assert buttons(client, carol, alices_event) == {"live", "cancelled"}
    services.transition_event(alices_event, to="live", actor=carol)
    assert buttons(client, carol, alices_event) == {"concluded", "cancelled"}


def test_organiser_sees_submit_and_withdraw_on_a_draft(client, alice):
    event = services.register_event(organiser=alice, **event_fields())
    assert buttons(client, alice, event) == {"submitted", "withdrawn"}
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Submit" in page and "Withdraw" in page and "Edit registration" in page


def test_organiser_sees_only_withdraw_once_submitted(client, alices_event, alice):
    assert buttons(client, alice, alices_event) == {"withdrawn"}


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_police_and_reviewer_see_no_transition_buttons(client, alices_event, who, request):
    if who == "dave":
        Event.objects.filter(pk=alices_event.pk).update(state=Event.State.CONCLUDED)
    assert buttons(client, request.getfixturevalue(who), alices_event) == set()


# --- Making transitions from the page ----------------------------------------------------------


def test_city_takes_under_review_and_agrees_from_the_page(client, alices_event, carol):
    log_in(client, carol)
    url = reverse("events:transition", args=[alices_event.pk])
    response = client.post(url, {"to": "under_review"}, follow=True)
    assert "The demonstration is now “Under review”." in response.content.decode()
    client.post(url, {"to": "agreed"})
    alices_event.refresh_from_db()
    assert alices_event.state == "agreed"
    assert alices_event.log_entries.filter(kind="event.transition").count() == 3


def test_transition_is_post_only(client, alices_event, carol):
    log_in(client, carol)
    url = reverse("events:transition", args=[alices_event.pk])
    assert client.get(url, {"to": "under_review"}).status_code == 405


def test_police_cannot_agree_and_gets_a_403_page_saying_why(client, alices_event, bob):
    log_in(client, bob)
    response = client.post(reverse("events:transition", args=[alices_event.pk]),
                           {"to": "under_review"})
    assert response.status_code == 403
    assert "Police liaison officer" in response.content.decode()
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"


def test_transition_not_allowed_from_this_state_shows_a_message(client, alices_event, carol):
    log_in(client, carol)
    response = client.post(reverse("events:transition", args=[alices_event.pk]),
                           {"to": "agreed"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == alices_event.get_absolute_url()
    assert "cannot be moved to" in response.content.decode()
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"


def test_cancel_without_a_reason_shows_an_error_and_changes_nothing(client, alices_event, carol):
    log_in(client, carol)
    response = client.post(reverse("events:transition", args=[alices_event.pk]),
                           {"to": "cancelled", "note": "  "}, follow=True)
    assert "Please give a reason." in response.content.decode()
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"


def test_city_cancels_with_a_reason(client, alices_event, carol):
    log_in(client, carol)
    client.post(reverse("events:transition", args=[alices_event.pk]),
                {"to": "cancelled", "note": "Storm warning"})
    alices_event.refresh_from_db()
    assert alices_event.state == "cancelled"
    assert alices_event.log_entries.last().data["note"] == "Storm warning"


def test_organiser_submits_their_draft(client, alice):
    event = services.register_event(organiser=alice, **event_fields())
    log_in(client, alice)
    client.post(reverse("events:transition", args=[event.pk]), {"to": "submitted"})
    event.refresh_from_db()
    assert event.state == "submitted"


# --- Registering -------------------------------------------------------------------------------


def test_organiser_registers_a_march_from_the_page(client, alice):
    response = register_page(client, alice, **march_fields())
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == event.get_absolute_url()
    assert event.state == "draft" and event.organiser == alice
    assert event.kind == "march" and len(event.route.coords) == 3
    assert event.languages == ["en", "es"]
    assert event.log_entries.get().kind == "event.created"


def test_register_page_uses_leaflet_widgets_and_datetime_inputs(client, alice):
    log_in(client, alice)
    page = client.get(reverse("events:register")).content.decode()
    assert 'type="datetime-local"' in page
    assert "leaflet/draw/leaflet.draw.js" in page and "leaflet/leaflet.forms.js" in page
    for name in ("assembly_point", "route", "dispersal_point"):
        assert f'id="id_{name}-map"' in page
        assert f'<label for="id_{name}"' in page


@pytest.mark.parametrize("who", ["bob", "carol", "dave"])
def test_only_organisers_may_open_the_register_page(client, who, request):
    log_in(client, request.getfixturevalue(who))
    response = client.get(reverse("events:register"))
    assert response.status_code == 403
    assert "Only organisers register demonstrations." in response.content.decode()


def test_end_before_start_is_shown_next_to_the_end(client, alice):
    fields = event_fields()
    fields["ends_at"] = fields["starts_at"] - dt.timedelta(hours=1)
    response = register_page(client, alice, **fields)
    assert response.status_code == 200
    assert "The end must be after the start." in errors_of(response.content.decode(), "ends_at")
    assert not Event.objects.exists()


def test_start_in_the_past_is_shown_next_to_the_start(client, alice):
    past = timezone.now() - dt.timedelta(days=1)
    response = register_page(client, alice,
                             **event_fields(starts_at=past, ends_at=past + dt.timedelta(hours=2)))
    assert "The start must be in the future." in errors_of(response.content.decode(), "starts_at")
    assert not Event.objects.exists()


def test_attendance_of_zero_is_shown_next_to_the_attendance(client, alice):
    response = register_page(client, alice, **event_fields(expected_attendance=0))
    assert "at least 1" in errors_of(response.content.decode(), "expected_attendance")
    assert not Event.objects.exists()


def test_march_without_route_is_shown_next_to_the_route(client, alice):
    response = register_page(client, alice, **event_fields(kind="march"))
    assert "A march needs a route." in errors_of(response.content.decode(), "route")
    assert not Event.objects.exists()


def test_every_mistake_is_shown_at_once_and_nothing_is_saved(client, alice):
    past = timezone.now() - dt.timedelta(days=1)
    response = register_page(client, alice, **event_fields(
        kind="march", starts_at=past, ends_at=past - dt.timedelta(hours=1),
        expected_attendance=0, languages=["not a code"],
    ))
    page = response.content.decode()
    assert errors_of(page, "ends_at") and errors_of(page, "starts_at")
    assert errors_of(page, "expected_attendance") and errors_of(page, "route")
    assert errors_of(page, "languages")
    assert "Please correct the problems marked below." in page
    assert not Event.objects.exists()
    assert 'value="Save the library"' in page  # what was typed is kept


def test_missing_assembly_point_is_shown_next_to_it(client, alice):
    fields = event_fields()
    del fields["assembly_point"]
    response = register_page(client, alice, **fields)
    assert errors_of(response.content.decode(), "assembly_point")
    assert not Event.objects.exists()


def test_counter_to_offers_only_events_the_organiser_can_see(client, alices_event, alice, mallory):
    mine = services.register_event(organiser=mallory, **event_fields(title="Mine"))
    log_in(client, mallory)
    page = client.get(reverse("events:register")).content.decode()
    assert f'value="{mine.pk}"' in page
    assert f'value="{alices_event.pk}"' not in page
    response = register_page(client, mallory,
                             **event_fields(kind="counter", counter_to=alices_event.pk))
    assert errors_of(response.content.decode(), "counter_to")
    assert Event.objects.filter(organiser=mallory).count() == 1


# --- Editing ---------------------------------------------------------------------------------


def test_organiser_edits_their_draft(client, alice):
    event = services.register_event(organiser=alice, **event_fields())
    log_in(client, alice)
    url = reverse("events:edit", args=[event.pk])
    page = client.get(url).content.decode()
    for code in ("en", "es"):
        assert re.search(rf'value="{code}"[^>]* checked', page), code
    data = form_data(event_fields(title="Save the library, again"))
    data["starts_at"] = timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M")
    data["ends_at"] = timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Save the library, again"
    change = event.log_entries.get(kind="event.changed")
    assert set(change.data) == {"title"}  # times shown without seconds are not "changes"


def test_organiser_saving_changes_the_city_asked_for_is_told_to_submit_them(client, alice,
                                                                             alices_event,
                                                                             carol):
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="changes_requested", actor=carol,
                              note="Please start later")
    log_in(client, alice)
    data = form_data(event_fields(title="Save the library, later"))
    data["starts_at"] = timezone.localtime(alices_event.starts_at).strftime("%Y-%m-%dT%H:%M")
    data["ends_at"] = timezone.localtime(alices_event.ends_at).strftime("%Y-%m-%dT%H:%M")

    response = client.post(reverse("events:edit", args=[alices_event.pk]), data, follow=True)

    page = response.content.decode()
    assert "not sent to the city yet" in page
    assert "Submit" in page and "when you are ready" in page


def test_organiser_cannot_edit_submitted_event_page(client, alices_event, alice):
    log_in(client, alice)
    url = reverse("events:edit", args=[alices_event.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == alices_event.get_absolute_url()
    assert "can be edited while it is a draft" in response.content.decode()
    client.post(url, form_data(event_fields(title="Sneaky")))
    alices_event.refresh_from_db()
    assert alices_event.title == "Save the library"


def test_city_cannot_edit_an_organisers_registration(client, alices_event, carol):
    log_in(client, carol)
    assert client.get(reverse("events:edit", args=[alices_event.pk])).status_code == 403


def test_edit_errors_are_shown_next_to_fields(client, alice):
    event = services.register_event(organiser=alice, **event_fields())
    log_in(client, alice)
    data = form_data(event_fields(expected_attendance=0))
    response = client.post(reverse("events:edit", args=[event.pk]), data)
    assert "at least 1" in errors_of(response.content.decode(), "expected_attendance")
    event.refresh_from_db()
    assert event.expected_attendance == 200


# --- Members ---------------------------------------------------------------------------------


def test_city_adds_a_police_officer_from_the_page(client, alice, carol):
    from tests.support.factories import make_user

    event = services.register_event(organiser=alice, **event_fields())
    make_user("eve", "police", name="Eve Patrol")
    log_in(client, carol)
    response = client.post(reverse("events:add_member", args=[event.pk]),
                           {"username": "eve"}, follow=True)
    assert "Eve Patrol is now a member." in response.content.decode()
    assert event.memberships.filter(user__username="eve").exists()


def test_adding_an_organiser_as_city_shows_why_not(client, alices_event, carol, mallory):
    log_in(client, carol)
    response = client.post(reverse("events:add_member", args=[alices_event.pk]),
                           {"username": "mallory"}, follow=True)
    assert "City officials add police and city staff" in response.content.decode()
    assert not alices_event.memberships.filter(user=mallory).exists()


def test_organiser_adds_a_co_organiser(client, alices_event, alice, mallory):
    log_in(client, alice)
    client.post(reverse("events:add_member", args=[alices_event.pk]), {"username": "mallory"})
    assert alices_event.memberships.filter(user=mallory).exists()
    log_in(client, mallory)
    assert client.get(alices_event.get_absolute_url()).status_code == 200


def test_police_cannot_add_members(client, alices_event, bob):
    log_in(client, bob)
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert "Add member" not in page
    response = client.post(reverse("events:add_member", args=[alices_event.pk]),
                           {"username": "bob"})
    assert response.status_code == 403


def test_unknown_state_or_overlong_note_is_refused_with_a_message(client, alices_event, carol):
    log_in(client, carol)
    url = reverse("events:transition", args=[alices_event.pk])
    response = client.post(url, {"to": "exploded"}, follow=True)
    assert "New state:" in response.content.decode()
    response = client.post(url, {"to": "cancelled", "note": "x" * 2001}, follow=True)
    assert "Note:" in response.content.decode()
    alices_event.refresh_from_db()
    assert alices_event.state == "submitted"
