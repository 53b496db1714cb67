"""The public page: residents and the press see agreed demonstrations, their agreed zones and
conditions, and changes as they happen — and never anything personal or private."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from messaging import services as messaging
from public import selectors as public
from review.services import add_reviewer_note
from tests.support.factories import make_user
from tests.support.public import PUBLIC_URLS, agreed, agreed_zone, registered
from tests.support.zones import LAT, LON, geos, make_zone, square
from zones import incidents
from zones import services as zone_services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def page(client=None, path="/public/", **headers) -> str:
    response = (client or Client()).get(path, **headers)
    assert response.status_code == 200, path
    return response.content.decode()


def test_anyone_sees_an_agreed_demonstration_with_its_agreed_zone_and_conditions(
        alice, bob, carol):
    event = agreed(alice, carol, title="Save the library")
    agreed_zone(event, alice, bob, carol, kind="first_aid",
                conditions="Keep the ambulance lane clear.")
    make_zone(event, carol, kind="press", conditions="Still being discussed")

    html = page()

    assert "Save the library" in html
    assert event.reference in html
    assert "Static demonstration" in html
    assert "First aid" in html
    assert "Keep the ambulance lane clear." in html
    # A proposed zone is not public until all three parties agreed it.
    assert "Still being discussed" not in html
    assert "Agreed: the demonstration will take place as shown here." in html
    assert "Zone agreed: First aid." in html


def test_only_listed_agreed_live_and_recent_demonstrations_are_public(alice, mallory, carol):
    draft = services.register_event(organiser=alice, **_fields("A draft"))
    submitted = registered(alice, carol, title="Just submitted")
    under_review = registered(alice, carol, title="Being reviewed")
    services.transition_event(under_review, to="under_review", actor=carol)
    sent_back = registered(alice, carol, title="Sent back")
    services.transition_event(sent_back, to="under_review", actor=carol)
    services.transition_event(sent_back, to="changes_requested", actor=carol, note="Route?")
    withdrawn = agreed(alice, carol, title="Withdrawn after agreement")
    services.transition_event(withdrawn, to="withdrawn", actor=alice,
                             note="Plans changed.")
    unlisted = agreed(mallory, carol, title="Unlisted by its organisers", public=False)
    cancelled_early = registered(alice, carol, title="Cancelled before agreement")
    services.transition_event(cancelled_early, to="cancelled", actor=carol, note="Clash")
    listed = agreed(alice, carol, title="Listed and agreed")
    live = agreed(mallory, carol, title="Under way")
    services.transition_event(live, to="live", actor=carol)
    concluded = agreed(alice, carol, title="Just concluded")
    services.transition_event(concluded, to="live", actor=carol)
    services.transition_event(concluded, to="concluded", actor=carol)

    html = page()

    for hidden in (draft, submitted, under_review, sent_back, withdrawn, unlisted,
                   cancelled_early):
        assert hidden.title not in html
        assert hidden.reference not in html
    for shown in (listed, live, concluded):
        assert shown.title in html
    # Eight days on, the concluded demonstration has left the page; the others stay.
    later = {e.reference for e in public.public_events(now=timezone.now() + dt.timedelta(days=8))}
    assert later == {listed.reference, live.reference}


def test_a_cancelled_demonstration_says_so_without_the_reason(alice, carol):
    event = agreed(alice, carol, title="Rally at the river")
    services.transition_event(event, to="cancelled", actor=carol,
                              note="Secret reason about the organisers")

    html = page()

    assert "Rally at the river" in html
    assert "Cancelled: the demonstration will not take place." in html
    assert "Secret reason" not in html


def test_the_description_is_public_only_when_the_organisers_chose_it(alice, mallory, carol):
    agreed(alice, carol, title="Quiet one", description="Kept among the parties")
    agreed(mallory, carol, title="Open one", description="We march for clean water",
           publish_description=True)

    html = page()

    assert "Kept among the parties" not in html
    assert "We march for clean water" in html


def test_notices_follow_the_changes_as_they_happen(alice, bob, carol):
    event = agreed(alice, carol)
    zone = agreed_zone(event, alice, bob, carol, kind="buffer")
    services.transition_event(event, to="live", actor=carol)
    zone = zone_services.change_zone(zone, actor=carol,
                                     geometry=geos(square(LON + 0.0005, LAT)))
    other = agreed_zone(event, alice, bob, carol, kind="press")
    zone_services.withdraw_zone(other, actor=carol)

    (shown,) = public.public_events()

    assert [n.text for n in shown.notices] == [
        "Agreed: the demonstration will take place as shown here.",
        "Zone agreed: Buffer zone.",
        "Under way now.",
        "Zone being changed: Buffer zone. It is off the map until it is agreed again.",
        "Zone agreed: Press area.",
        "Zone withdrawn: Press area.",
    ]
    # The changed zone awaits agreement and the other is withdrawn: no zone is public now.
    assert shown.zones == []


def test_zones_agreed_before_the_demonstration_was_agreed_are_not_old_news(alice, bob, carol):
    event = registered(alice, carol)
    agreed_zone(event, alice, bob, carol, kind="assembly")
    services.transition_event(event, to="under_review", actor=carol)
    services.transition_event(event, to="agreed", actor=carol)

    (shown,) = public.public_events()

    assert [n.what for n in shown.notices] == [public.NoticeKind.AGREED]
    assert [z.kind for z in shown.zones] == ["assembly"]


def test_nothing_private_ever_reaches_a_public_response(alice, bob, carol, dave):
    """Every private field of a demonstration holds a marker; no public response, in any
    language, contains any of them."""
    markers = {name: f"zq{name}{uuid.uuid4().hex[:8]}" for name in (
        "contactname", "contactphone", "contactemail", "orgusername", "orgfirst", "orglast",
        "orgemail", "membername", "description", "organisation", "accessibility",
        "message", "officials", "incident", "note", "reason", "changes", "zonelabel",
    )}
    organiser = make_user(markers["orgusername"], "organiser",
                          name=f"{markers['orgfirst']} {markers['orglast']}")
    organiser.email = f"{markers['orgemail']}@example.org"
    organiser.save()
    member = make_user(f"{markers['membername']}", "police",
                       name=f"{markers['membername']} Officer")
    private = {
        "contact_name": markers["contactname"], "contact_phone": f"+1 {markers['contactphone']}",
        "contact_email": f"{markers['contactemail']}@example.org",
        "description": markers["description"], "organisation": markers["organisation"],
        "accessibility_needs": markers["accessibility"],
    }
    event = registered(organiser, carol, title="Open air meeting", **private)
    services.transition_event(event, to="under_review", actor=carol)
    services.transition_event(event, to="changes_requested", actor=carol,
                              note=markers["changes"])
    services.transition_event(event, to="submitted", actor=organiser)
    services.transition_event(event, to="under_review", actor=carol)
    services.transition_event(event, to="agreed", actor=carol)
    services.add_member(event, username=member.username, actor=carol)
    zone = make_zone(event, carol, label=markers["zonelabel"], kind="first_aid")
    for party in (organiser, member, carol):
        zone_services.agree_zone(zone, actor=party, version=1)
    messaging.send_message(event=event, sender=organiser, channel="all", kind="message",
                           body=markers["message"], client_id=uuid.uuid4())
    messaging.send_message(event=event, sender=carol, channel="officials", kind="message",
                           body=markers["officials"], client_id=uuid.uuid4())
    services.transition_event(event, to="live", actor=carol)
    incidents.report_incident(event=event, reporter=member, location=Point(LON, LAT),
                              severity="low", description=markers["incident"])
    services.transition_event(event, to="concluded", actor=carol)
    event.refresh_from_db()
    add_reviewer_note(event=event, author=dave, body=markers["note"])
    cancelled = agreed(alice, carol, title="Called off", **private)
    services.transition_event(cancelled, to="cancelled", actor=carol, note=markers["reason"])

    client = Client()
    for language in ("en", "fr", "es"):
        for url in PUBLIC_URLS:
            body = page(client, f"{url}?lang={language}")
            assert event.reference in body
            leaked = [name for name, marker in markers.items() if marker in body]
            assert leaked == [], f"{url} ({language}) shows {leaked}"
    # The organisation is not published either, though it is not personal: it says who is
    # behind the demonstration (docs/public.md).
    assert markers["organisation"] not in page()


def test_the_page_speaks_the_readers_language(alice, carol):
    agreed(alice, carol)

    by_header = page(HTTP_ACCEPT_LANGUAGE="fr")
    by_link = page(path="/public/?lang=es", HTTP_ACCEPT_LANGUAGE="fr")

    assert '<html lang="fr"' in by_header
    assert '<html lang="es"' in by_link


def test_the_page_costs_the_same_few_queries_for_many_demonstrations(
        alice, bob, carol, django_assert_max_num_queries):
    for n in range(3):
        agreed_zone(agreed(alice, carol, title=f"Event {n}"), alice, bob, carol)
    with django_assert_max_num_queries(12) as few:
        page()
    for n in range(6):
        event = agreed(alice, carol, title=f"More {n}")
        agreed_zone(event, alice, bob, carol, kind="press")
        services.transition_event(event, to="live", actor=carol)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "More 5" in page()


def test_an_organiser_chooses_to_publish_the_description_when_registering(alice, api):
    from tests.support.factories import event_fields

    fields = event_fields(title="With a public description")
    body = {**{k: v for k, v in fields.items() if k not in ("starts_at", "ends_at",
                                                            "assembly_point")},
            "starts_at": fields["starts_at"].isoformat(),
            "ends_at": fields["ends_at"].isoformat(),
            "assembly_point": {"type": "Point", "coordinates": [LON, LAT]},
            "publish_description": True}

    response = api(alice).post("/api/v1/events/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["publish_description"] is True
    del body["publish_description"]
    unsaid = api(alice).post("/api/v1/events/", body, format="json")
    assert unsaid.json()["publish_description"] is False


def test_the_registration_form_offers_the_choice(alice):
    from tests.support.accounts import log_in

    client = Client()
    log_in(client, alice)

    html = client.get(reverse("events:register")).content.decode()

    assert 'name="publish_description"' in html
    assert 'name="public"' in html


def test_anonymous_visitors_find_the_public_page_from_the_login_page():
    html = Client().get("/accounts/login/").content.decode()

    assert 'href="/public/"' in html


def test_anonymous_visitors_find_the_public_page_in_every_pages_header():
    html = Client().get("/accounts/signup/").content.decode()
    header = html.split("</header>")[0]

    assert 'href="/public/"' in header


def _fields(title):
    from tests.support.factories import event_fields

    return event_fields(title=title)
