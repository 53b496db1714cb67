"""Organisers' contact details reach only those docs/protocol.md names — the event's organisers,
city staff and its police members — on every page, API and export that shows the event; and
the page "What Parley records about your event".

alice organises the demonstration (her contact on the day: Zyxwv Contact), bob is a police
member of it and carol a city member; erin is a police officer who is not a member, dave a
reviewer, mallory the organiser of another demonstration.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader

from coordination.log import record
from coordination.moments import format_date
from events import services
from messaging import services as messaging
from privacy.selectors import kept_until
from tests.support.accounts import log_in
from tests.support.factories import event_fields, make_user
from tests.support.zones import make_zone
from zones import services as zone_services

CONTACT_NAME = "Zyxwv Contact"
CONTACT_PHONE = "+33 6 99 88 77 66"
CONTACT_EMAIL = "zyxwv@example.org"
CONTACTS = (CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL)
#: The account e-mail addresses of the members (tests/conftest.py make_user).
MEMBER_EMAILS = ("alice@example.org", "bob@example.org", "carol@example.org")

#: Who may see the contact details (docs/protocol.md, "Demonstrations").
ALLOWED = {"alice", "bob", "carol"}
PEOPLE = ("alice", "mallory", "bob", "erin", "carol", "dave")

#: Every page, API and export that shows a demonstration ({pk}: the demonstration's id;
#: {zone}: its zone's).
PAGES = (
    "/",
    "/events/{pk}/",
    "/events/{pk}/edit/",
    "/events/{pk}/briefing.pdf",
    "/events/{pk}/review/",
    "/events/{pk}/replay/",
    "/events/{pk}/privacy/",
    "/map/",
    "/desk/",
)
API = (
    "/api/v1/events/",
    "/api/v1/events/{pk}/",
    "/api/v1/events/{pk}/members/",
    "/api/v1/events/{pk}/zones/",
    "/api/v1/events/{pk}/zones.geojson",
    "/api/v1/events/{pk}/conflicts/",
    "/api/v1/events/{pk}/incidents/",
    "/api/v1/events/{pk}/messages/?channel=all",
    "/api/v1/events/{pk}/messages/?channel=officials",
    "/api/v1/events/{pk}/log/",
    "/api/v1/events/{pk}/log/verify",
    "/api/v1/events/{pk}/log/export?format=csv",
    "/api/v1/events/{pk}/log/export?format=jsonl",
    "/api/v1/events/{pk}/log/export?format=pdf",
    "/api/v1/events/{pk}/replay/",
    "/api/v1/city-map/",
    "/api/v1/zones/",
    "/api/v1/zones.geojson",
    "/api/v1/zones/{zone}/",
    "/api/v1/zones/{zone}/versions/",
)


@pytest.fixture
def people(alice, bob, carol, dave, mallory):
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave, "mallory": mallory,
            "erin": make_user("erin", "police", name="Erin Patrol")}


def run_demonstration(people, *, until: str):
    """Alice's demonstration with distinctive contact details (changed once while a draft,
    so the log records a change of them), an agreed zone, messages, an acknowledgement and
    an incident, taken up to the state ``until`` (``live`` or ``concluded``)."""
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    event = services.register_event(organiser=alice, **event_fields(
        contact_name="Someone Else", contact_phone="+1 614 555 0199",
        contact_email="someone@example.org"))
    services.update_event(event, actor=alice, contact_name=CONTACT_NAME,
                          contact_phone=CONTACT_PHONE, contact_email=CONTACT_EMAIL)
    event = services.transition_event(event, to="submitted", actor=alice)
    services.add_member(event, username="bob", actor=carol)
    services.add_member(event, username="carol", actor=carol)
    zone = make_zone(event, carol)
    for person in (alice, bob, carol):
        zone, _ = zone_services.agree_zone(zone, actor=person, version=zone.version)
    for state in ("under_review", "agreed", "live"):
        event = services.transition_event(event, to=state, actor=carol)
    messaging.send_message(event=event, sender=alice, channel="all", kind="message",
                           body="We are at the steps.", client_id=uuid.uuid4())
    instruction, _ = messaging.send_message(
        event=event, sender=carol, channel="all", kind="instruction",
        body="Keep the north door clear.", client_id=uuid.uuid4())
    messaging.acknowledge_message(instruction, user=alice)
    messaging.send_message(event=event, sender=bob, channel="officials", kind="message",
                           body="Two vans at the corner.", client_id=uuid.uuid4())
    from zones.incidents import report_incident

    report_incident(event=event, reporter=bob, happened_at=timezone.now(),
                    location=event.assembly_point, severity="low",
                    description="A dropped banner")
    if until == "concluded":
        event = services.transition_event(event, to="concluded", actor=carol)
    return event


def body_text(response) -> str:
    """What a reader gets, as text: a PDF's extracted text, a stream joined, else the body."""
    content = (b"".join(response.streaming_content) if response.streaming
               else response.content)
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(content))
        return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return content.decode("utf-8", errors="replace")


def fetch_all(client, event) -> dict[str, tuple[int, str]]:
    zone = event.zones.get()
    return {url: (response.status_code, body_text(response))
            for url in (*PAGES, *API)
            for response in [client.get(url.format(pk=event.pk, zone=zone.pk))]}


@pytest.mark.parametrize("state", ["live", "concluded"])
@pytest.mark.parametrize("who", PEOPLE)
def test_contact_details_reach_only_the_organisers_city_staff_and_police_members(
        client, people, who, state):
    event = run_demonstration(people, until=state)
    log_in(client, people[who])
    answers = fetch_all(client, event)
    opened = [url for url, (status, _) in answers.items() if status == 200]
    for url, (status, text) in answers.items():
        assert status < 500, (url, status)
        shown = [value for value in CONTACTS if value in text]
        # The members' own e-mail addresses (the briefing sheet lists them) likewise.
        shown += [value for value in MEMBER_EMAILS if value in text]
        if who not in ALLOWED:
            assert shown == [], f"{who} sees {shown} on {url} ({status})"
    if who in ALLOWED:
        # Where the event itself is shown to them, they do get its contact.
        for url in ("/events/{pk}/", "/api/v1/events/{pk}/"):
            status, text = answers[url]
            assert status == 200 and all(value in text for value in CONTACTS), (who, url)
    if who == "carol":
        assert all(value in answers["/api/v1/events/{pk}/log/export?format=pdf"][1]
                   for value in CONTACTS)
    if who == "dave" and state == "concluded":
        # The reviewer reads the whole record — and never the contact.
        assert {"/api/v1/events/{pk}/log/", "/api/v1/events/{pk}/log/export?format=csv",
                "/api/v1/events/{pk}/log/export?format=jsonl",
                "/api/v1/events/{pk}/log/export?format=pdf",
                "/events/{pk}/review/"} <= set(opened)
    if state == "live" and who in ("bob", "carol", "alice"):
        status, text = answers["/events/{pk}/briefing.pdf"]
        assert status == 200 and CONTACT_PHONE in text


def test_the_log_never_holds_the_contact_details(people):
    event = run_demonstration(people, until="concluded")
    for entry in event.log_entries.all():
        assert not any(value in str(entry.data) for value in CONTACTS), entry.kind
    changed = event.log_entries.get(kind="event.changed")
    assert changed.data["contact_phone"] == "[withheld]"


# --- "What Parley records about your event" -----------------------------------------------


def privacy_url(event) -> str:
    return f"/events/{event.pk}/privacy/"


@pytest.mark.parametrize(("who", "status"), [
    ("alice", 200), ("carol", 200),          # its organisers and city staff
    ("bob", 403), ("erin", 403),             # police see the event, not this page
    ("dave", 403),                           # reviewers see the concluded event only
    ("mallory", 404),                        # another organiser does not see the event
])
def test_only_the_events_organisers_and_city_staff_open_the_privacy_page(client, people, who,
                                                                          status):
    event = run_demonstration(people, until="concluded")
    log_in(client, people[who])
    assert client.get(privacy_url(event)).status_code == status


def test_a_reviewer_gets_404_for_the_privacy_page_of_an_event_not_yet_concluded(client,
                                                                               people):
    event = run_demonstration(people, until="live")
    log_in(client, people["dave"])
    assert client.get(privacy_url(event)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, people):
    event = run_demonstration(people, until="live")
    response = client.get(privacy_url(event))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_organiser_sees_what_is_recorded_with_the_values_she_entered(client, people):
    event = run_demonstration(people, until="live")
    log_in(client, people["alice"])
    response = client.get(privacy_url(event))
    text = response.content.decode()
    assert "What Parley records about your event" in text
    assert all(value in text for value in CONTACTS)
    assert "Friends of the Library" in text
    entries = event.log_entries.count()
    assert f"{entries} entries" in text
    # the officials' message is in the log too
    assert "Message (<code>message.sent</code>): 3" in text
    # Her channel's messages are counted; the officials' channel is only mentioned.
    assert "2 messages in the channel “Everyone”" in text
    assert "(1 acknowledgement)" in text
    assert "Officials only" not in text
    assert "Police and city staff also have a channel of their own" in text
    assert "it is never written into the log" in text
    assert "Nothing is deleted automatically" in text
    # The event page links to it for her.
    assert privacy_url(event) in client.get(event.get_absolute_url()).content.decode()


def test_the_event_page_does_not_offer_the_privacy_page_to_police(client, people):
    event = run_demonstration(people, until="live")
    log_in(client, people["bob"])
    assert privacy_url(event) not in client.get(event.get_absolute_url()).content.decode()


@override_settings(PARLEY_RETENTION_DAYS=100)
def test_the_page_shows_the_date_until_which_a_concluded_events_records_are_kept(client,
                                                                                  people):
    event = run_demonstration(people, until="concluded")
    concluded_at = event.log_entries.filter(kind="event.transition").last().at
    expected = (concluded_at + dt.timedelta(days=100)).date()
    log_in(client, people["alice"])
    text = client.get(privacy_url(event)).content.decode()
    assert "for at least 100 days after it ends" in text
    assert f'<strong id="kept-until">{format_date(expected)}</strong>' in text


def test_before_it_ends_the_retention_date_counts_from_the_planned_end(client, people):
    event = run_demonstration(people, until="live")
    expected = (event.ends_at + dt.timedelta(days=730)).date()
    log_in(client, people["alice"])
    text = client.get(privacy_url(event)).content.decode()
    assert "If your demonstration ends as planned" in text
    assert f'<strong id="kept-until">{format_date(expected)}</strong>' in text


def test_city_staff_read_the_officials_channel_counts_too(client, people):
    event = run_demonstration(people, until="live")
    log_in(client, people["carol"])
    text = client.get(privacy_url(event)).content.decode()
    assert "1 message in the channel “Officials only”" in text


def test_a_later_log_entry_does_not_change_the_kept_until_date(people):
    event = run_demonstration(people, until="concluded")
    before = kept_until(event)
    with transaction.atomic():
        record(event, actor=people["carol"], kind="review.note_added", data={})
    assert kept_until(event) == before


def test_a_co_organiser_added_by_alice_opens_the_page_and_sees_the_contact(client, people):
    event = run_demonstration(people, until="live")
    services.add_member(event, username="mallory", actor=people["alice"])
    log_in(client, people["mallory"])
    response = client.get(privacy_url(event))
    assert response.status_code == 200
    assert CONTACT_PHONE in response.content.decode()


def test_the_privacy_page_names_the_kinds_of_entries_in_the_readers_language(client, people):
    event = run_demonstration(people, until="live")
    log_in(client, people["alice"])
    text = client.get(privacy_url(event), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Manifestation enregistrée (<code>event.created</code>)" in text
