"""The after-action review page: who may open it, what its timeline shows and how it is
filtered and searched, its key moments, and the reviewer notes kept beside the log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from coordination.log import verify_event_log
from coordination.models import LogEntry
from review.models import ReviewerNote
from review.services import NOTE_MAX_CHARS, add_reviewer_note
from review.timeline import timeline_entries
from tests.support.accounts import log_in
from tests.support.logs import triggers_disabled
from tests.support.review import live_event

pytestmark = pytest.mark.django_db


def page_for(user):
    client = Client()
    if user is not None:
        log_in(client, user)
    return client


def review_url(event, suffix="review/"):
    return f"/events/{event.pk}/{suffix}"


def timeline_kinds(response) -> list[str]:
    return re.findall(r'class="timeline-row[^"]*" id="entry-\d+" data-kind="([^"]+)"',
                      response.content.decode())


# --- who may open the review --------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["review/", "replay/"])
@pytest.mark.parametrize(("who", "status"), [
    ("alice", 403), ("bob", 403), ("erin", 403), ("mallory", 404),
    ("carol", 200), ("dave", 200),
])
def test_only_city_staff_and_reviewers_open_a_concluded_events_review(
    request, story, who, status, suffix, erin, mallory, dave
):
    user = request.getfixturevalue(who)

    response = page_for(user).get(review_url(story.event, suffix))

    assert response.status_code == status


@pytest.mark.parametrize("suffix", ["review/", "replay/"])
def test_anonymous_visitors_are_sent_to_log_in(story, suffix):
    response = page_for(None).get(review_url(story.event, suffix))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("suffix", ["review/", "replay/"])
def test_a_reviewer_cannot_see_a_live_events_review_at_all(alices_event, alice, bob, carol,
                                                           dave, suffix):
    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)

    assert page_for(dave).get(review_url(event, suffix)).status_code == 404


@pytest.mark.parametrize(("who", "status"), [
    ("alice", 403), ("bob", 403), ("erin", 403), ("mallory", 404),
    ("carol", 200), ("dave", 404),
])
def test_who_may_review_a_live_event(request, alices_event, alice, bob, carol, who, status,
                                     erin, mallory, dave, api):
    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)
    user = request.getfixturevalue(who)

    assert page_for(user).get(review_url(event)).status_code == status
    assert page_for(user).get(review_url(event, "replay/")).status_code == status
    assert api(user).get(f"/api/v1/events/{event.pk}/replay/").status_code == status


def test_city_staff_review_a_live_event_as_recorded_so_far(alices_event, alice, bob, carol):
    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)

    response = page_for(carol).get(review_url(event))

    assert response.status_code == 200
    assert "not concluded" in response.content.decode()
    assert 'id="note-form"' not in response.content.decode()  # notes come once concluded
    assert page_for(carol).get(review_url(event, "replay/")).status_code == 200


def test_an_organiser_sees_the_403_page_naming_who_reviews(story, alice):
    response = page_for(alice).get(review_url(story.event))

    assert response.status_code == 403
    assert "city staff and reviewers" in response.content.decode()


# --- the timeline -------------------------------------------------------------------------

def test_the_timeline_shows_every_log_entry_in_words(story, dave):
    response = page_for(dave).get(review_url(story.event))
    html = response.content.decode()

    kinds = timeline_kinds(response)
    assert kinds == list(LogEntry.objects.filter(event=story.event).order_by("seq")
                         .values_list("kind", flat=True))
    for kind in ("event.created", "event.transition", "event.member_added", "zone.created",
                 "zone.changed", "zone.agreed", "message.sent", "message.acknowledged",
                 "incident.reported", "message.key_moment_marked"):
        assert kind in kinds
    assert "Registered the demonstration " + story.event.reference in html
    assert "Moved the demonstration from “Live” to “Concluded”." in html
    assert "Dispersed peacefully." in html
    zone = story.zone.pk
    assert f"Proposed zone {zone} “Steps of City Hall”, version 1." in html
    assert f"agreed version 2 of zone {zone} “Steps of City Hall”: now agreed by all." in html
    assert "Two units on standby behind the library." in html  # officials' channel too
    assert "Acknowledged message #2 of the “Everyone” channel after" in html
    assert "A banner pole fell over; nobody hurt." in html
    assert "Alice Martin" in html and "Organiser" in html


def test_an_incident_shows_when_it_happened_beside_when_it_was_recorded(alices_event, alice,
                                                                          bob, carol):
    from django.contrib.gis.geos import Point

    from events.models import Event
    from tests.support.zones import LAT, LON
    from zones.incidents import report_incident

    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)
    # Registered an hour ago (an incident cannot have happened before its registration).
    Event.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1))
    event.refresh_from_db()
    report_incident(event=event, reporter=bob, location=Point(LON, LAT, srid=4326),
                    happened_at=timezone.now() - dt.timedelta(minutes=10), severity="high",
                    description="Reported late: a window broken at 14:05.")

    html = page_for(carol).get(review_url(event)).content.decode()

    row = html.split('data-kind="incident.reported"')[1].split("</li>")[0]
    assert "happened at" in row
    assert row.count("<time ") == 2


def test_entries_are_escaped(alices_event, alice, bob, carol, dave):
    from tests.support.review import say

    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)
    say(event, alice, '<script>alert("x")</script>')

    html = page_for(carol).get(review_url(event)).content.decode()

    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_page_says_the_log_verifies_and_links_the_exports_and_replay(story, dave):
    html = page_for(dave).get(review_url(story.event)).content.decode()

    entries = LogEntry.objects.filter(event=story.event).count()
    assert f"Log verified: {entries} entries" in html
    base = f"/api/v1/events/{story.event.pk}/log/export?format="
    for fmt in ("csv", "jsonl", "pdf"):
        assert f'href="{base}{fmt}"' in html
    assert f'href="/events/{story.event.pk}/replay/"' in html


def test_the_page_says_loudly_when_the_log_does_not_verify(story, dave):
    # Changed behind Parley's back, with the database's append-only triggers disabled.
    entry = LogEntry.objects.get(event=story.event, seq=5)
    with triggers_disabled():
        LogEntry.objects.filter(pk=entry.pk).update(data={**entry.data, "note": "forged"})

    html = page_for(dave).get(review_url(story.event)).content.decode()

    assert verify_event_log(story.event.pk).first_bad_seq == 5
    assert "The log does NOT verify from entry 5 on" in html


def test_key_moments_head_the_timeline_and_link_to_their_row(story, dave):
    html = page_for(dave).get(review_url(story.event)).content.decode()

    moments = html.index('id="key-moments-heading"')
    timeline = html.index('id="timeline-heading"')
    assert moments < timeline
    head = html[moments:timeline]
    assert "We are gathering at the steps, café open." in head
    assert "The crowd was told where to meet." in head
    assert "Carol City" in head
    seq = LogEntry.objects.get(event=story.event, kind="message.sent",
                               data__message_id=story.gathering.pk).seq
    assert f'href="?page=1#entry-{seq}"' in head
    assert f'id="entry-{seq}"' in html[timeline:]
    assert "Two units on standby" not in head  # not marked


def test_an_unmarked_message_leaves_the_key_moments(story, carol, dave):
    from messaging.key_moments import unmark_key_moment

    # The mark is taken off (as city staff may, even after the event): the head follows the
    # marks as they are now; the log keeps both.
    unmark_key_moment(message=story.gathering, user=carol)

    html = page_for(dave).get(review_url(story.event)).content.decode()

    head = html[html.index('id="key-moments-heading"'):html.index('id="timeline-heading"')]
    assert "No message has been marked as a key moment." in head
    assert "message.key_moment_unmarked" in timeline_kinds(page_for(dave).get(
        review_url(story.event)))


# --- filters and search -------------------------------------------------------------------

@pytest.mark.parametrize(("group", "expected"), [
    ("registration", {"event.created", "event.transition", "event.member_added"}),
    ("zones", {"zone.created", "zone.changed", "zone.agreed"}),
    ("messages", {"message.sent"}),
    ("acknowledgements", {"message.acknowledged"}),
    ("incidents", {"incident.reported"}),
    ("key_moments", {"message.key_moment_marked"}),
])
def test_the_timeline_filters_by_kind(story, dave, group, expected):
    response = page_for(dave).get(review_url(story.event), {"kind": group})

    assert set(timeline_kinds(response)) == expected


def test_kinds_can_be_combined(story, dave):
    response = page_for(dave).get(review_url(story.event),
                                  {"kind": ["incidents", "acknowledgements"]})

    assert timeline_kinds(response) == ["message.acknowledged", "incident.reported"]


def test_the_timeline_filters_by_party(story, dave):
    police = page_for(dave).get(review_url(story.event), {"party": "police"})
    organisers = page_for(dave).get(review_url(story.event), {"party": "organiser"})

    assert set(timeline_kinds(police)) == {"zone.changed", "zone.agreed", "message.sent",
                                           "incident.reported"}
    assert timeline_kinds(organisers) == [
        "event.created", "event.transition", "zone.agreed", "message.sent",
        "message.acknowledged"]


def test_system_entries_are_those_with_no_actor(story):
    from django.db import transaction

    from coordination.log import record

    with transaction.atomic():
        record(story.event, actor=None, kind="event.reminder", data={"text": "nightly"})

    entries = timeline_entries(story.event, parties=["system"])
    assert [e.kind for e in entries] == ["event.reminder"]


def test_unknown_kinds_are_shown_generically(story, carol):
    from django.db import transaction

    from coordination.log import record

    with transaction.atomic():
        record(story.event, actor=None, kind="event.reminder", data={"text": "nightly"})

    html = page_for(carol).get(review_url(story.event)).content.decode()
    assert "Recorded “event.reminder”." in html
    assert "nightly" in html


def test_the_timeline_filters_by_time(story, dave):
    concluded = LogEntry.objects.get(event=story.event, kind="event.transition",
                                     data__to="concluded")
    late = timeline_entries(story.event, since=concluded.at)
    early = timeline_entries(story.event, until=concluded.at - dt.timedelta(microseconds=1))

    assert [e.kind for e in late] == ["event.transition"]
    assert late.count() + early.count() == LogEntry.objects.filter(event=story.event).count()

    # The page's fields have minute precision, in the site's time zone (UTC here).
    next_minute = (timezone.now() + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = page_for(dave).get(review_url(story.event), {"since": next_minute})
    assert timeline_kinds(response) == []
    assert "No entry matches these filters." in response.content.decode()


def test_a_wrong_time_range_is_explained_and_not_applied(story, dave):
    response = page_for(dave).get(review_url(story.event),
                                  {"since": "2026-05-02T10:00", "until": "2026-05-01T10:00"})

    assert response.status_code == 200
    assert "The end must not be before the start." in response.content.decode()


@pytest.mark.parametrize(("query", "kinds"), [
    ("banner pole", ["incident.reported"]),  # an incident's description
    ("NORTH LANE", ["message.sent"]),  # a message body, whatever the case
    ("café", ["message.sent"]),  # any alphabet
    ("peacefully", ["event.transition"]),  # a transition's note
    ("told where to meet", ["message.key_moment_marked"]),  # a key moment's note
    ("erin-not-here", []),
])
def test_the_search_looks_in_bodies_descriptions_and_notes(story, dave, query, kinds):
    assert [e.kind for e in timeline_entries(story.event, search=query)] == kinds


def test_the_search_finds_names_and_usernames(story, dave):
    assert {e.kind for e in timeline_entries(story.event, search="bob")} >= {
        "event.member_added", "zone.changed", "incident.reported"}
    response = page_for(dave).get(review_url(story.event), {"q": "standby"})
    assert timeline_kinds(response) == ["message.sent"]


def test_the_timeline_is_paginated(story, alice, dave, monkeypatch):
    from review import views as review_views

    monkeypatch.setattr(review_views, "PER_PAGE", 5)
    total = LogEntry.objects.filter(event=story.event).count()

    first = page_for(dave).get(review_url(story.event))
    last = page_for(dave).get(review_url(story.event), {"page": (total + 4) // 5})

    assert len(timeline_kinds(first)) == 5
    assert len(timeline_kinds(last)) == total - 5 * ((total - 1) // 5)
    assert f"Page 1 of {(total + 4) // 5}" in first.content.decode()
    # Filters are kept from page to page.
    filtered = page_for(dave).get(review_url(story.event), {"kind": "registration"})
    assert "kind=registration&amp;page=2" in filtered.content.decode()


# --- reviewer notes -----------------------------------------------------------------------

def test_a_reviewer_writes_a_note_shown_with_its_author_and_not_in_the_log(story, dave):
    entries = LogEntry.objects.filter(event=story.event).count()

    response = page_for(dave).post(review_url(story.event, "review/notes/"),
                                   {"body": "Stewards <b>kept</b> the lane clear."})

    assert response.status_code == 302
    assert response.url == review_url(story.event) + "#notes"
    note = ReviewerNote.objects.get(event=story.event)
    assert (note.author, note.body) == (dave, "Stewards <b>kept</b> the lane clear.")
    assert LogEntry.objects.filter(event=story.event).count() == entries
    assert verify_event_log(story.event.pk).valid
    html = page_for(dave).get(review_url(story.event)).content.decode()
    notes = html[html.index('id="notes"'):]
    assert "Dave Review" in notes and "Reviewer" in notes
    assert "Stewards &lt;b&gt;kept&lt;/b&gt; the lane clear." in notes
    assert "Stewards" not in html[:html.index('id="notes"')]  # not in the timeline


def test_city_staff_write_notes_too(story, carol):
    add_reviewer_note(event=story.event, author=carol, body="Good liaison.")

    html = page_for(carol).get(review_url(story.event)).content.decode()
    assert "Good liaison." in html and "City official" in html


@pytest.mark.parametrize(("body", "message"), [
    ("   ", "This field is required."),
    ("x" * (NOTE_MAX_CHARS + 1), f"at most {NOTE_MAX_CHARS} characters"),
])
def test_an_empty_or_too_long_note_is_refused_with_a_reason(story, dave, body, message):
    response = page_for(dave).post(review_url(story.event, "review/notes/"), {"body": body})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReviewerNote.objects.exists()


def test_the_service_refuses_empty_and_too_long_notes_too(story, dave):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        add_reviewer_note(event=story.event, author=dave, body=" ")
    with pytest.raises(ValidationError):
        add_reviewer_note(event=story.event, author=dave, body="x" * (NOTE_MAX_CHARS + 1))
    assert add_reviewer_note(event=story.event, author=dave, body="x" * NOTE_MAX_CHARS).pk


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("bob", 403), ("mallory", 404)])
def test_others_cannot_write_notes(request, story, who, status, mallory):
    user = request.getfixturevalue(who)

    response = page_for(user).post(review_url(story.event, "review/notes/"), {"body": "Hi"})

    assert response.status_code == status
    assert not ReviewerNote.objects.exists()


def test_no_notes_before_the_event_is_concluded(alices_event, alice, bob, carol):
    from django.core.exceptions import PermissionDenied

    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)

    response = page_for(carol).post(review_url(event, "review/notes/"), {"body": "Early"})

    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        add_reviewer_note(event=event, author=carol, body="Early")
    assert not ReviewerNote.objects.exists()


def test_the_note_form_needs_the_csrf_token(story, dave):
    client = Client(enforce_csrf_checks=True)
    log_in(client, dave)

    response = client.post(review_url(story.event, "review/notes/"), {"body": "Hi"})

    assert response.status_code == 403
    assert not ReviewerNote.objects.exists()


def test_the_permissions_are_asked_by_name(story, alice, bob, carol, dave):
    assert [u.has_perm("review.review_event", story.event)
            for u in (alice, bob, carol, dave)] == [False, False, True, True]
    assert [u.has_perm("review.add_reviewer_note", story.event)
            for u in (alice, bob, carol, dave)] == [False, False, True, True]


def test_an_incident_reported_as_it_happens_shows_one_time(alices_event, alice, bob, carol):
    from django.contrib.gis.geos import Point

    from tests.support.zones import LAT, LON
    from zones.incidents import report_incident

    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)
    report_incident(event=event, reporter=bob, location=Point(LON, LAT, srid=4326),
                    severity="medium", description="Crowd surge at the steps.")

    html = page_for(carol).get(review_url(event)).content.decode()

    row = html.split('data-kind="incident.reported"')[1].split("</li>")[0]
    assert "Crowd surge at the steps." in row
    assert "happened at" not in row


@pytest.mark.parametrize(("who", "shown"), [("carol", True), ("dave", True), ("alice", False),
                                            ("bob", False)])
def test_the_event_page_links_to_its_review_for_those_who_review(request, story, who, shown):
    html = page_for(request.getfixturevalue(who)).get(f"/events/{story.event.pk}/").content
    assert (f'href="/events/{story.event.pk}/review/"' in html.decode()) is shown
