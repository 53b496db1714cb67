"""The unit's desk (desk/selectors.py, /desk/): what police and city work from every day.

alice and mallory organise demonstrations; bob is a police liaison officer, carol a city
official, dave a reviewer.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from desk import selectors as desk
from desk.templatetags.desk_times import submitted_since
from events import services
from events.models import Event
from messaging import services as messaging
from messaging.models import Presence
from tests.support.accounts import log_in
from tests.support.factories import PASSWORD, event_fields
from tests.support.zones import LAT, LON, make_sensitive_site
from zones.conflicts import clashes_of, clashes_of_many

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def register(organiser, *, days: float = 1, hours: float = 2, **overrides) -> Event:
    """A demonstration by ``organiser``, ``days`` from now, for ``hours``."""
    starts = timezone.now() + dt.timedelta(days=days)
    return services.register_event(organiser=organiser, **event_fields(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), **overrides))


def move(event: Event, *states: str, organiser=None, city=None) -> Event:
    """Take ``event`` through ``states``: submissions by its organiser, the rest by the city."""
    for state in states:
        actor = (organiser or event.organiser) if state == "submitted" else city
        note = "Reason given" if state in ("changes_requested", "cancelled") else ""
        event = services.transition_event(event, to=state, actor=actor, note=note)
    return event


def ids(events) -> list[int]:
    return [event.pk for event in events]


# --- today and the coming weeks ------------------------------------------------------------


def test_coming_demonstrations_are_grouped_by_state_without_drafts(alice, carol):
    draft = register(alice, title="Still a draft")
    submitted = move(register(alice, days=2), "submitted")
    agreed = move(register(alice, days=3), "submitted", "under_review", "agreed", city=carol)
    later = move(register(alice, days=1, hours=1), "submitted", "under_review", city=carol)
    cancelled = move(register(alice, days=2), "cancelled", city=carol)
    too_far = move(register(alice, days=30), "submitted")

    coming = desk.upcoming(carol)

    groups = {group.state: ids(group.events) for group in coming.groups}
    assert groups == {"agreed": [agreed.pk], "under_review": [later.pk],
                      "submitted": [submitted.pk]}
    assert [group.state for group in coming.groups] == ["agreed", "under_review", "submitted"]
    assert ids(coming.gone) == [cancelled.pk]
    listed = ids(coming.events) + ids(coming.gone)
    assert draft.pk not in listed and too_far.pk not in listed
    assert ids(coming.events) == [later.pk, submitted.pk, agreed.pk]  # soonest first


def test_the_window_is_a_setting(alice, carol):
    far = move(register(alice, days=30), "submitted")
    assert far.pk not in ids(desk.upcoming(carol).events)
    with override_settings(PARLEY_DESK_DAYS_AHEAD=40):
        assert far.pk in ids(desk.upcoming(carol).events)


def test_a_demonstration_that_ended_earlier_today_is_still_on_todays_desk(alice, carol):
    event = move(register(alice, days=1), "submitted")
    # As seen at 23:00 local time on its day, after it ended.
    late = timezone.localtime(event.ends_at).replace(hour=23, minute=0)
    assert event.pk in ids(desk.upcoming(carol, now=late).events)
    assert event.pk not in ids(desk.upcoming(carol, now=late + DAY).events)


def test_police_see_every_demonstration_on_the_desk_as_the_city_does(alice, mallory, bob,
                                                                     carol):
    alices = move(register(alice), "submitted")
    mallorys = move(register(mallory, days=2), "submitted")
    # bob is a member of neither: police see every demonstration (events_visible_to).
    for official in (bob, carol):
        assert ids(desk.upcoming(official).events) == [alices.pk, mallorys.pk]
        assert ids(desk.waiting_for_review(official)[0]) == [alices.pk, mallorys.pk]


def test_more_than_the_cap_are_counted_not_listed(alice, carol):
    for days in (1, 2, 3):
        move(register(alice, days=days), "submitted")
    coming = desk.upcoming(carol, limit=2)
    assert len(coming.events) == 2 and coming.more == 1
    waiting, more = desk.waiting_for_review(carol, limit=2)
    assert len(waiting) == 2 and more == 1


# --- waiting for review ---------------------------------------------------------------------


def test_registrations_waiting_for_review_longest_waiting_first(alice, carol):
    first = register(alice, days=5, title="First")
    second = register(alice, days=1, title="Second")
    third = register(alice, days=3, title="Third")
    agreed = register(alice, days=2, title="Already agreed")
    move(first, "submitted")
    move(second, "submitted")
    move(third, "submitted")
    move(agreed, "submitted", "under_review", "agreed", city=carol)
    # Sent back and submitted again: it waits from its new submission.
    move(first, "under_review", "changes_requested", city=carol)
    move(first, "submitted")
    # Taken under review last: its updated_at is now the newest, its submission is not.
    move(second, "under_review", city=carol)

    waiting, more = desk.waiting_for_review(carol)

    assert [event.title for event in waiting] == ["Second", "Third", "First"]
    assert more == 0
    assert waiting[0].updated_at > waiting[2].updated_at  # so updated_at would be wrong
    assert all(event.submitted_at <= timezone.now() for event in waiting)


# --- clashes --------------------------------------------------------------------------------


def test_two_demonstrations_at_the_same_place_and_time_clash_once_on_the_desk(alice, mallory,
                                                                              carol):
    one = move(register(alice, days=2), "submitted")
    other = move(register(mallory, days=2, title="Same square"), "submitted")
    move(register(mallory, days=4, title="Another day"), "submitted")  # same place, not time

    shown = desk.clashes(carol, desk.upcoming(carol).events)

    assert len(shown) == 1
    clash = shown[0]
    assert {clash["event"].pk, clash["other"].pk} == {one.pk, other.pk}
    assert clash["kind"] == "overlap" and clash["distance_m"] == 0


def test_clashes_of_many_finds_what_clashes_of_finds_for_each(alice, mallory, carol):
    base = register(alice, days=2)
    near = register(mallory, days=2, assembly_point=Point(LON + 0.0015, LAT, srid=4326))
    far = register(mallory, days=2, assembly_point=Point(LON + 0.05, LAT, srid=4326))
    later = register(mallory, days=2.5, assembly_point=Point(LON, LAT + 0.0005, srid=4326))
    counter = register(mallory, days=6, kind="counter", counter_to=base,
                       assembly_point=Point(LON + 0.2, LAT, srid=4326))
    make_sensitive_site(carol)
    events = [base, near, far, later, counter]

    together = clashes_of_many(events)

    for event in events:
        assert together[event.pk] == clashes_of(event), event.title
    assert {c.kind for c in together[base.pk]} >= {"too_close", "sensitive_site"}
    assert any(c.counter for c in together[base.pk])


def test_withdrawn_and_cancelled_demonstrations_clash_with_nothing_on_the_desk(alice, mallory,
                                                                               carol):
    move(register(alice, days=2), "submitted")
    move(register(mallory, days=2), "cancelled", city=carol)
    assert desk.clashes(carol, desk.upcoming(carol).events) == []


# --- live demonstrations --------------------------------------------------------------------


@pytest.fixture
def live_event(alices_event, carol):
    return move(alices_event, "under_review", "agreed", "live", city=carol)


def send(event, sender, kind: str, body: str, channel: str = "all"):
    message, _created = messaging.send_message(event=event, sender=sender, channel=channel,
                                               kind=kind, body=body, client_id=uuid.uuid4())
    return message


def test_live_demonstration_lists_what_is_not_acknowledged_and_by_whom(live_event, alice, bob,
                                                                       carol):
    instruction = send(live_event, carol, "instruction", "Keep the east side clear")
    acknowledged = send(live_event, carol, "alert", "Storm coming")
    send(live_event, carol, "message", "Good morning")
    for_officials = send(live_event, bob, "instruction", "Staging moves north", "officials")
    messaging.acknowledge_message(instruction, user=alice)
    messaging.acknowledge_message(acknowledged, user=alice)
    messaging.acknowledge_message(acknowledged, user=bob)

    (item,) = desk.live(carol)

    assert item.event.pk == live_event.pk
    pending = {p["message"].pk: [person["name"] for person in p["awaiting"]]
               for p in item.unacknowledged}
    # alice acknowledged the instruction, bob not yet; the officials' one waits for carol
    # only (organisers do not read that channel); the alert is done; a message needs nothing.
    assert pending == {instruction.pk: ["Bob Officer"], for_officials.pk: ["Carol City"]}
    assert [p["message"].pk for p in item.unacknowledged] == [instruction.pk, for_officials.pk]


def test_who_is_online_leaves_out_stale_connections(live_event, alice, bob, carol, settings):
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.PARLEY_PRESENCE_STALE_SECONDS + 5)
    Presence.objects.create(event=live_event, user=bob, connection="one", last_seen=now)
    Presence.objects.create(event=live_event, user=bob, connection="two", last_seen=now)
    Presence.objects.create(event=live_event, user=alice, connection="three", last_seen=stale)

    (item,) = desk.live(carol)

    assert [person["name"] for person in item.online] == ["Bob Officer"]


def test_a_live_demonstration_counts_its_incidents(live_event, bob, carol):
    from zones.models import Incident

    for severity in ("low", "high"):
        Incident.objects.create(event=live_event, reported_by=bob, happened_at=timezone.now(),
                                recorded_at=timezone.now(), location=Point(LON, LAT, srid=4326),
                                severity=severity, description="Bins set alight")
    (item,) = desk.live(carol)
    assert item.incidents == 2


def test_only_live_demonstrations_are_in_the_live_section(alices_event, carol):
    assert desk.live(carol) == []


# --- the page -------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(reverse("desk"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("person", ["alice", "dave"])
def test_organisers_and_reviewers_may_not_open_the_desk(client, person, request):
    log_in(client, request.getfixturevalue(person))
    response = client.get(reverse("desk"))
    assert response.status_code == 403
    assert "police and city" in response.content.decode()
    assert client.get(reverse("desk") + "?partial=1").status_code == 403


@pytest.mark.parametrize("person", ["bob", "carol"])
def test_police_and_city_open_the_desk(client, person, request, alices_event):
    log_in(client, request.getfixturevalue(person))
    page = client.get(reverse("desk")).content.decode()
    for section in ("desk-live", "desk-waiting", "desk-clashes", "desk-upcoming"):
        assert f'id="{section}"' in page
    assert alices_event.reference in page
    assert 'src="/static/desk/desk.js"' in page
    assert not re.search(r"<script>(?!\s*</script>)", page)  # no inline code


def test_the_partial_answers_only_the_sections(client, carol, alices_event):
    log_in(client, carol)
    response = client.get(reverse("desk") + "?partial=1")
    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="desk-waiting"' in text and alices_event.reference in text
    assert "<html" not in text and "site-nav" not in text
    assert "no-cache" in response["Cache-Control"]


def test_the_desk_is_in_the_menu_of_police_and_city_only(client, alice, bob, carol):
    for user, shown in ((alice, False), (bob, True), (carol, True)):
        log_in(client, user)
        page = client.get(reverse("events:list")).content.decode()
        assert (f'href="{reverse("desk")}"' in page) is shown, user.username


def test_police_and_city_land_on_the_desk_after_logging_in(client, alice, bob, carol):
    for user, landing in ((bob, reverse("desk")), (carol, reverse("desk")),
                          (alice, reverse("events:list"))):
        response = client.post(reverse("login"), {"username": user.username,
                                                  "password": PASSWORD})
        assert response["Location"] == landing, user.username
        client.logout()
    response = client.post(reverse("login") + "?next=/map/",
                           {"username": "carol", "password": PASSWORD})
    assert response["Location"] == "/map/"


def test_titles_and_names_are_shown_as_text(client, alice, carol):
    move(register(alice, title='<img src=x onerror="alert(1)">'), "submitted")
    log_in(client, carol)
    page = client.get(reverse("desk")).content.decode()
    assert '<img src=x' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def _busy_city(alice, mallory, bob, carol, count: int) -> None:
    """``count`` demonstrations in every state, close together; one live with messages."""
    states = [("submitted",), ("submitted", "under_review"),
              ("submitted", "under_review", "agreed"), ("cancelled",),
              ("submitted", "under_review", "agreed", "live")]
    for n in range(count):
        organiser = alice if n % 2 else mallory
        # A live one starts within the day (PARLEY_LIVE_WINDOW_HOURS); the others spread out.
        live = states[n % len(states)][-1] == "live"
        event = register(organiser, days=0.5 if live else 1 + n % 4,
                         assembly_point=Point(LON + n * 0.001, LAT, srid=4326))
        event = move(event, *states[n % len(states)], city=carol)
        if event.state == "live":
            services.add_member(event, username="bob", actor=carol)
            services.add_member(event, username="carol", actor=carol)
            instruction = send(event, carol, "instruction", f"Instruction {n}")
            messaging.acknowledge_message(instruction, user=bob)
            Presence.objects.create(event=event, user=bob, connection=f"c{uuid.uuid4()}",
                                    last_seen=timezone.now())
    make_sensitive_site(carol)


def test_the_desk_reads_the_same_number_of_queries_for_many_demonstrations(
        client, alice, mallory, bob, carol, django_assert_max_num_queries):
    log_in(client, carol)
    _busy_city(alice, mallory, bob, carol, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("desk")).status_code == 200
    _busy_city(alice, mallory, bob, carol, 20)
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("desk")).content.decode()
    assert page.count('class="desk-live-event"') == 5
    # 15 when measured before two-factor authentication: session, user, then each section's
    # few; now also the session's second factor and (once a minute) its last-seen time.
    # One more query for each kind of "Waiting for you" (zones, instructions, registrations).
    assert len(few) <= 22


def test_a_concluded_demonstration_is_not_listed_among_the_clashes_on_the_desk(alice, mallory,
                                                                               carol):
    over = register(alice, days=0.01, hours=1)
    Event.objects.filter(pk=over.pk).update(state=Event.State.CONCLUDED)
    move(register(mallory, days=0.02, title="Same square, same hour"), "submitted")

    shown = desk.clashes(carol, desk.upcoming(carol).events)

    assert shown == []
    # The event page of the one still to come lists no clash either: one definition.
    still = Event.objects.get(title="Same square, same hour")
    assert clashes_of(still) == []


def test_a_registration_submitted_under_a_minute_ago_reads_just_now_on_the_desk(
        client, carol, alice):
    move(register(alice, days=3, title="Fresh from alice"), "submitted")
    log_in(client, carol)

    page = client.get(reverse("desk")).content.decode()

    assert "submitted just now" in page
    assert "0 minutes" not in page


def test_a_registration_submitted_an_hour_ago_says_how_long_it_has_waited():
    now = timezone.now()
    assert submitted_since(now - dt.timedelta(hours=1), now) == "submitted 1\xa0hour ago"
    assert submitted_since(now - dt.timedelta(seconds=59), now) == "submitted just now"
