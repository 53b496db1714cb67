"""The city's local time everywhere people read or type one (PARLEY_TIME_ZONE; here Columbus,
America/New_York): the forms, the pages, the e-mails, the public page and its feeds — while
the API and the feeds' own fields keep ISO 8601 / RFC 3339 in UTC."""

from __future__ import annotations

import datetime as dt
import uuid

import feedparser
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from coordination.moments import format_moment, format_span
from events import services
from events.models import Event
from messaging import services as messaging
from messaging.notifications import queue_unacknowledged_emails
from tests.support.accounts import log_in
from tests.support.factories import event_fields
from tests.support.public import agreed

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def columbus(settings):
    settings.TIME_ZONE = "America/New_York"


def registration_form(**fields) -> dict:
    """The register page's fields, with the times as a datetime-local input sends them."""
    data = {name: value for name, value in event_fields(**fields).items()
            if not isinstance(value, dt.datetime | bool) and value is not None}
    data["assembly_point"] = data["assembly_point"].geojson
    data["languages"] = "en"
    data["public"] = "on"
    return data


# 2027's changes of the clocks in Columbus: 14 March (02:00 EST → 03:00 EDT) and 7 November
# (02:00 EDT → 01:00 EST). The same 10:00 on the wall is a different hour in UTC either side.
@pytest.mark.parametrize(("typed_start", "typed_end", "stored_start", "stored_end"), [
    ("2027-03-13T10:00", "2027-03-13T12:00", dt.datetime(2027, 3, 13, 15, 0, tzinfo=UTC),
     dt.datetime(2027, 3, 13, 17, 0, tzinfo=UTC)),
    ("2027-03-14T10:00", "2027-03-14T12:00", dt.datetime(2027, 3, 14, 14, 0, tzinfo=UTC),
     dt.datetime(2027, 3, 14, 16, 0, tzinfo=UTC)),
    ("2027-11-06T10:00", "2027-11-06T12:00", dt.datetime(2027, 11, 6, 14, 0, tzinfo=UTC),
     dt.datetime(2027, 11, 6, 16, 0, tzinfo=UTC)),
    ("2027-11-07T10:00", "2027-11-07T12:00", dt.datetime(2027, 11, 7, 15, 0, tzinfo=UTC),
     dt.datetime(2027, 11, 7, 17, 0, tzinfo=UTC)),
])
def test_organiser_types_local_time_and_the_right_instant_is_stored_either_side_of_the_change(
        client, alice, columbus, typed_start, typed_end, stored_start, stored_end):
    log_in(client, alice)
    title = f"Vigil {typed_start}"
    response = client.post(reverse("events:register"),
                           {**registration_form(title=title), "starts_at": typed_start,
                            "ends_at": typed_end})

    assert response.status_code == 302, response.content.decode()
    event = Event.objects.get(title=title)
    assert (event.starts_at, event.ends_at) == (stored_start, stored_end)
    # The edit form shows it back as it was typed, in the city's time.
    page = client.get(reverse("events:edit", args=[event.pk])).content.decode()
    assert f'value="{typed_start}"' in page and f'value="{typed_end}"' in page


def test_the_registration_form_names_the_citys_time_zone(client, alice, columbus):
    page = log_in(client, alice).get(reverse("events:register")).content.decode()
    assert "Time zone: America/New_York." in page


def test_organiser_sees_the_event_in_local_time_with_its_zone(client, alice, alices_event,
                                                               columbus):
    page = log_in(client, alice).get(alices_event.get_absolute_url()).content.decode()

    starts = format_moment(alices_event.starts_at)
    assert starts.endswith((" EST", " EDT"))
    assert starts in page
    # The machine-readable attribute stays ISO 8601, with the offset.
    assert f'<time datetime="{timezone.localtime(alices_event.starts_at).isoformat()}">' in page
    assert 'data-time-zone="America/New_York"' in page
    # The map's time inputs (a zone's validity, an incident) say which zone they are in.
    assert 'id="zone-times-zone">Time zone: America/New_York.</p>' in page


def test_the_desk_shows_the_date_of_a_demonstration_two_weeks_away(client, alice, carol,
                                                                   columbus):
    starts = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(days=14)
    event = services.register_event(organiser=alice, **event_fields(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=3)))
    services.transition_event(event, to="submitted", actor=alice)

    page = log_in(client, carol).get(reverse("desk")).content.decode()

    assert format_span(event.starts_at, event.ends_at) in page  # with its date


def test_a_missed_alert_is_emailed_with_the_time_it_was_sent_in_local_time(alices_event,
                                                                           alice, carol,
                                                                           columbus):
    for state in ("under_review", "agreed", "live"):
        services.transition_event(alices_event, to=state, actor=carol)
    alert, _ = messaging.send_message(event=alices_event, sender=carol, channel="all",
                                      kind="alert", body="Move away from the gate",
                                      client_id=uuid.uuid4())
    mail.outbox.clear()
    queue_unacknowledged_emails(now=alert.sent_at + dt.timedelta(hours=1))
    call_command("run_notifier", "--once")

    (email,) = [m for m in mail.outbox
                if m.to == [alice.email] and "Alert awaiting" in m.subject]
    assert f"Sent at {format_moment(alert.sent_at)}." in email.body
    assert format_moment(alert.sent_at).endswith((" EST", " EDT"))


@pytest.fixture
def public_vigil(alice, carol, columbus):
    starts = dt.datetime(2027, 1, 16, 19, 0, tzinfo=UTC)  # 14:00 EST
    return agreed(alice, carol, title="Candles at noon", starts_at=starts,
                  ends_at=starts + dt.timedelta(hours=2))


def test_the_public_page_shows_local_time(public_vigil, fresh_cache):
    page = Client().get(reverse("public:page")).content.decode()
    assert "Sat 16 Jan 2027, 14:00 – 16:00 EST" in page


def test_the_calendar_keeps_utc_instants_and_says_local_time_in_words(public_vigil,
                                                                      fresh_cache):
    calendar = Calendar.from_ical(Client().get("/public/events.ics").content)
    (entry,) = calendar.walk("VEVENT")

    assert entry.decoded("DTSTART") == public_vigil.starts_at
    assert entry["DTSTART"].to_ical() == b"20270116T190000Z"
    assert "Sat 16 Jan 2027, 14:00 – 16:00 EST" in str(entry["DESCRIPTION"])


def test_the_atom_feed_keeps_rfc_3339_and_says_local_time_in_words(public_vigil,
                                                                   fresh_cache):
    body = Client().get("/public/feed.atom").content
    feed = feedparser.parse(body)
    (entry,) = feed.entries

    assert b"<updated>" in body and feed.bozo == 0
    updated = dt.datetime.fromisoformat(entry.updated)
    assert updated.utcoffset() == dt.timedelta(0)
    assert format_moment(updated) in entry.summary
    assert format_moment(updated).endswith(" EST")


def test_the_api_writes_times_in_utc_whatever_the_citys_zone(api, alice, alices_event,
                                                            columbus):
    body = api(alice).get(f"/api/v1/events/{alices_event.pk}/").json()

    assert body["starts_at"].endswith("Z")
    assert dt.datetime.fromisoformat(body["starts_at"]) == alices_event.starts_at
