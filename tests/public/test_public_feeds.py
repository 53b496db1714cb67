"""The public feeds validate with the reference parsers, and every public response is cheap to
ask again: caching headers, an ETag, and 304 while nothing changed."""

from __future__ import annotations

import gzip
import json

import feedparser
import geojson
import pytest
from django.test import Client
from icalendar import Calendar

from events import services
from tests.support.feeds import atom_problems
from tests.support.public import PUBLIC_URLS, agreed, agreed_zone, registered
from tests.support.zones import LAT, LON
from zones import services as zone_services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def public_world(alice, bob, carol, mallory):
    """Alice's march, agreed with an agreed zone; Mallory's vigil, live; one cancelled after
    agreement; one still under review (not public)."""
    from tests.support.factories import march_fields

    fields = march_fields()
    fields.pop("kind")
    march = agreed(alice, carol, kind="march", **{k: v for k, v in fields.items()
                                                    if k in ("title", "route",
                                                             "dispersal_point")})
    agreed_zone(march, alice, bob, carol, kind="first_aid", conditions="Lane kept clear.")
    vigil = agreed(mallory, carol, title="Candles for peace", kind="vigil")
    services.transition_event(vigil, to="live", actor=carol)
    called_off = agreed(alice, carol, title="Called off")
    services.transition_event(called_off, to="cancelled", actor=carol, note="Storm")
    hidden = registered(mallory, carol, title="Not yet agreed")
    return {"march": march, "vigil": vigil, "cancelled": called_off, "hidden": hidden}


def test_the_calendar_has_one_vevent_per_public_demonstration(public_world):
    response = Client().get("/public/events.ics")

    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    march, vigil, cancelled = (public_world[k] for k in ("march", "vigil", "cancelled"))
    assert set(events) == {march.reference, vigil.reference, cancelled.reference}
    entry = events[march.reference]
    assert str(entry["SUMMARY"]) == march.title
    assert entry.decoded("DTSTART") == march.starts_at.replace(microsecond=0)
    assert entry.decoded("DTEND") == march.ends_at.replace(microsecond=0)
    assert entry["DTSTAMP"]
    assert "Assembly point" in str(entry["LOCATION"])
    assert entry["GEO"].latitude == pytest.approx(LAT)
    assert entry["GEO"].longitude == pytest.approx(LON)
    assert str(entry["URL"]).endswith(f"/public/#{march.reference}")
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert str(events[cancelled.reference]["STATUS"]) == "CANCELLED"


def test_the_atom_feed_of_notices_is_valid(public_world):
    response = Client().get("/public/feed.atom")

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert any("Cancelled: the demonstration will not take place." in t for t in titles)
    assert any("Under way now." in t for t in titles)
    assert any("Zone agreed: First aid." in t for t in titles)
    assert all(entry.id and entry.link and entry.updated for entry in feed.entries)
    assert not any(public_world["hidden"].reference in t for t in titles)


def test_the_atom_feed_keeps_every_must_of_rfc_4287(public_world):
    for lang in ("en", "fr", "es"):
        content = Client().get(f"/public/feed.atom?lang={lang}").content
        assert atom_problems(content) == [], lang


def test_the_atom_feed_names_its_author_and_gives_permanent_ids(public_world, settings):
    settings.PARLEY_TAG_AUTHORITY = "parley.example.org,2026"
    settings.PARLEY_FEED_AUTHOR = "Columbus protest-management unit"

    by_one_host = feedparser.parse(Client().get("/public/feed.atom").content)
    by_another = feedparser.parse(
        Client(HTTP_HOST="localhost").get("/public/feed.atom?lang=es").content)

    assert by_one_host.feed.id == "tag:parley.example.org,2026:public-notices"
    assert by_one_host.feed.author == "Columbus protest-management unit"
    assert by_one_host.entries
    for entry in by_one_host.entries:
        assert entry.id.startswith("tag:parley.example.org,2026:notice-")
        assert entry.author == "Columbus protest-management unit"
    assert [e.id for e in by_another.entries] == [e.id for e in by_one_host.entries]


def test_the_strict_atom_check_finds_relative_ids_and_a_missing_author():
    relative = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <id>/public/feed.atom</id><updated>2026-12-06T10:00:00Z</updated>
        <entry><title>e</title><link href="http://x.example/"/><id>/public/#notice-1</id>
        <updated>2026-12-06T10:00:00Z</updated></entry></feed>"""

    problems = atom_problems(relative)

    assert any("no atom:author" in p for p in problems)
    assert any("'/public/#notice-1' is not an absolute IRI" in p for p in problems)
    assert any("RELAXNG" in p for p in atom_problems(relative.replace(b"<title>t</title>", b"")))


def test_the_atom_feed_speaks_the_asked_language(public_world):
    feed = feedparser.parse(Client().get("/public/feed.atom?lang=fr").content)

    assert feed.bozo == 0
    assert feed.feed.language == "fr"


def test_the_geojson_is_valid_and_says_only_what_the_page_says(public_world):
    response = Client().get("/public/events.geojson")

    assert response["Content-Type"] == "application/geo+json"
    collection = geojson.loads(response.content)
    assert collection.is_valid, collection.errors()
    features = collection["features"]
    places = {(f["properties"]["reference"], f["properties"]["feature"]) for f in features}
    march = public_world["march"].reference
    assert {(march, "assembly_point"), (march, "route"), (march, "dispersal_point"),
            (march, "zone")} <= places
    # Cancelled and not-yet-agreed demonstrations are not drawn.
    drawn = {reference for reference, _ in places}
    assert drawn == {march, public_world["vigil"].reference}
    allowed = {"feature", "reference", "title", "kind", "state", "starts_at", "ends_at", "url",
               "zone_kind", "conditions", "valid_from", "valid_to", "place_name"}
    for feature in features:
        assert set(feature["properties"]) <= allowed
    (zone,) = [f for f in features if f["properties"]["feature"] == "zone"]
    assert zone["properties"]["zone_kind"] == "first_aid"
    assert zone["properties"]["conditions"] == "Lane kept clear."
    assert zone["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_public_response_is_cacheable_and_answers_304_while_nothing_changed(
        public_world, url):
    client = Client()
    first = client.get(url)

    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert "max-age=60" in first["Cache-Control"]
    etag = first["ETag"]
    assert etag
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert "max-age=60" in again["Cache-Control"]


def test_a_change_gives_a_new_etag_and_the_new_content(public_world, alice, bob, carol):
    client = Client()
    first = client.get("/public/notices.json")
    zone = agreed_zone(public_world["vigil"], public_world["vigil"].organiser, bob, carol,
                       kind="press")
    assert zone.status == "agreed"

    after = client.get("/public/notices.json", HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    texts = [n["text"] for n in json.loads(after.content)["notices"]]
    assert "Zone agreed: Press area." in texts
    # Withdrawing it changes the answer again.
    zone_services.withdraw_zone(zone, actor=carol)
    third = client.get("/public/notices.json", HTTP_IF_NONE_MATCH=after["ETag"])
    assert third.status_code == 200
    assert "Zone withdrawn: Press area." in third.content.decode()


def test_each_language_has_its_own_etag(public_world):
    client = Client()

    english = client.get("/public/", HTTP_ACCEPT_LANGUAGE="en")
    french = client.get("/public/", HTTP_ACCEPT_LANGUAGE="fr")

    assert english["ETag"] != french["ETag"]
    assert client.get("/public/", HTTP_ACCEPT_LANGUAGE="fr",
                      HTTP_IF_NONE_MATCH=english["ETag"]).status_code == 200
    assert "Accept-Language" in english["Vary"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_browser_that_takes_gzip_gets_the_same_answer_compressed(public_world, url):
    client = Client()
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert packed["ETag"] != plain["ETag"]  # another representation, another tag
    assert "Accept-Encoding" in packed["Vary"]
    assert client.get(url, HTTP_ACCEPT_ENCODING="gzip",
                      HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304


def test_public_responses_set_no_cookie(public_world):
    for url in PUBLIC_URLS:
        response = Client().get(url)
        assert not response.cookies, url


def test_the_public_sees_the_assembly_points_name_instead_of_its_coordinates(alice, carol):
    named = agreed(alice, carol, title="Named place", assembly_point_name="Steps of City Hall")
    agreed(alice, carol, title="Unnamed place")

    page = Client().get("/public/").content.decode()
    calendar = Calendar.from_ical(Client().get("/public/events.ics").content)
    features = Client().get("/public/events.geojson").json()["features"]

    assert "Steps of City Hall" in page
    # The unnamed one still shows where it is, by its coordinates.
    assert page.count(f"{named.assembly_point.y:.5f}, {named.assembly_point.x:.5f}") == 1
    locations = {str(e["SUMMARY"]): str(e["LOCATION"]) for e in calendar.walk("VEVENT")}
    assert locations["Named place"] == "Assembly point: Steps of City Hall"
    assert locations["Unnamed place"].startswith("Assembly point: 39.9")
    names = {f["properties"]["title"]: f["properties"]["place_name"] for f in features
             if f["properties"]["feature"] == "assembly_point"}
    assert names == {"Named place": "Steps of City Hall", "Unnamed place": ""}
