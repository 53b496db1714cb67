"""What an organiser is told by the clash check (``GET /api/v1/events/{id}/conflicts/``):
only clashes with what she could already see — her own demonstrations, and what the public
page shows of the public ones — never a hidden demonstration's existence, times, distance
or place, and never a sensitive site. Police and city are told everything.

Anyone can sign up as an organiser, so Mallory here is a possible adversary: she registers
a draft of her own and moves it about, asking each time, to find where and when others will
be. Distances at Columbus: 1° of latitude = 111,033.89 m, 1° of longitude = 85,442.17 m
(tests/zones/test_clashes.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from events import services
from tests.support.factories import event_fields
from tests.support.public import agreed, registered
from tests.support.review import live_event
from tests.support.zones import LAT, LON, geos, iso, make_sensitive_site, make_zone, square

M_PER_DEG_LAT = 111_033.89
M_PER_DEG_LON = 85_442.17


def at(east_m: float, north_m: float) -> tuple[float, float]:
    """Longitude and latitude ``east_m`` metres east and ``north_m`` north of City Hall."""
    return LON + east_m / M_PER_DEG_LON, LAT + north_m / M_PER_DEG_LAT


def point(east_m: float, north_m: float) -> Point:
    return Point(*at(east_m, north_m), srid=4326)


def conflicts(api, user, event) -> list[dict]:
    """What ``user`` is told of the clashes of ``event`` (an Event or its id)."""
    response = api(user).get(f"/api/v1/events/{getattr(event, 'pk', event)}/conflicts/")
    assert response.status_code == 200, response.content
    return response.json()


def tomorrow(hour: int, minute: int = 0) -> dt.datetime:
    day = (timezone.now() + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                         microsecond=0)
    return day + dt.timedelta(hours=hour, minutes=minute)


def static(east_m: float, north_m: float, starts_at: dt.datetime, hours: float = 2,
           **fields) -> dict:
    """A static demonstration's fields at a place ``east_m``/``north_m`` from City Hall."""
    return event_fields(assembly_point=point(east_m, north_m), starts_at=starts_at,
                        ends_at=starts_at + dt.timedelta(hours=hours), **fields)


# --- what an organiser is not told ----------------------------------------------------------


def _hidden(alice, carol, how: str, **fields):
    """Alice's demonstration, in a state in which Mallory may not see it."""
    if how == "draft":
        return services.register_event(organiser=alice, **fields)
    if how == "submitted":
        return registered(alice, carol, **fields)
    if how == "under_review":
        event = registered(alice, carol, **fields)
        return services.transition_event(event, to="under_review", actor=carol)
    if how == "agreed_unlisted":
        return agreed(alice, carol, public=False, **fields)
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["draft", "submitted", "under_review", "agreed_unlisted"])
def test_an_organiser_is_not_told_of_a_demonstration_she_cannot_see(api, alice, mallory,
                                                                    carol, how):
    mine = services.register_event(organiser=mallory, **static(0, 0, tomorrow(12)))
    hidden = _hidden(alice, carol, how, **static(150, 0, tomorrow(13)))

    assert conflicts(api, mallory, mine) == []
    # The check did find it: the city is told.
    [clash] = conflicts(api, carol, mine)
    assert clash["event"] == hidden.pk


def test_an_organiser_is_not_told_of_a_sensitive_site(api, alice, carol):
    mine = services.register_event(organiser=alice, **static(0, 0, tomorrow(12)))
    site = make_sensitive_site(carol, label="Women's shelter",
                               geometry=geos(square(*at(-5, -5), size=0.0001)))

    assert conflicts(api, alice, mine) == []
    [clash] = conflicts(api, carol, mine)
    assert (clash["kind"], clash["zone"], clash["label"]) == (
        "sensitive_site", site.pk, "Women's shelter")


def test_an_organiser_is_not_told_of_a_counter_demonstration_she_cannot_see(
    api, alice, mallory, carol
):
    # Alice's demonstration is public; Mallory answers it with a draft of her own, on
    # another day and 5 km away: the city is told at once, Alice nothing.
    target = agreed(alice, carol, **static(0, 0, tomorrow(12)))
    counter = services.register_event(organiser=mallory, **static(
        5000, 0, tomorrow(12) + dt.timedelta(days=2), kind="counter",
        counter_to=target))

    assert conflicts(api, alice, target) == []
    [clash] = conflicts(api, carol, target)
    assert (clash["event"], clash["counter"]) == (counter.pk, True)


def test_an_organiser_is_not_told_which_public_demonstration_answers_hers(
    api, alice, mallory, carol
):
    # The public page shows a counter-demonstration, but not whom it answers: Alice is not
    # told it is hers. Mallory, whose registration names Alice's, is told of it.
    target = agreed(alice, carol, **static(0, 0, tomorrow(12)))
    counter = agreed(mallory, carol, **static(
        5000, 0, tomorrow(12) + dt.timedelta(days=2), kind="counter",
        counter_to=target))

    assert conflicts(api, alice, target) == []
    [answered] = conflicts(api, mallory, counter)
    assert (answered["event"], answered["counter"]) == (target.pk, True)


def test_an_organiser_is_told_of_a_public_demonstrations_zone_only_once_it_is_agreed(
    api, alice, mallory, bob, carol
):
    mine = services.register_event(organiser=alice, **static(0, 0, tomorrow(12)))
    # Mallory's public demonstration assembles 1 km away; a zone the police propose for it
    # reaches Alice's assembly point.
    public = agreed(mallory, carol, **static(1000, 0, tomorrow(11)))
    reaching = geos(square(*at(-20, -20), size=0.001))
    proposed = make_zone(public, carol, kind="buffer", geometry=reaching)

    assert conflicts(api, alice, mine) == []
    [as_city] = conflicts(api, carol, mine)
    assert (as_city["event"], as_city["kind"]) == (public.pk, "overlap")

    services.add_member(public, username=bob.username, actor=carol)
    from zones import services as zone_services
    for party in (mallory, bob, carol):
        proposed, _ = zone_services.agree_zone(proposed, actor=party, version=proposed.version)

    [clash] = conflicts(api, alice, mine)
    assert (clash["event"], clash["kind"], clash["distance_m"]) == (public.pk, "overlap", 0.0)


# --- what an organiser is told ----------------------------------------------------------------


def test_an_organiser_is_told_of_a_public_demonstration_by_name(api, alice, mallory, carol):
    mine = services.register_event(organiser=alice, **static(0, 0, tomorrow(12)))
    public = agreed(mallory, carol, **static(0, 150, tomorrow(13), title="Other cause",
                                             contact_name="Mallory Other"))

    [clash] = conflicts(api, alice, mine)

    assert (clash["event"], clash["reference"], clash["title"]) == (
        public.pk, public.reference, "Other cause")
    assert clash["kind"] == "too_close"
    assert clash["distance_m"] == pytest.approx(150.0, abs=0.5)
    # Its times are on the public page: the window they share is no secret.
    assert clash["overlap"] == {"starts_at": iso(public.starts_at), "ends_at": iso(mine.ends_at)}
    assert "Mallory Other" not in str(clash)


def test_an_organiser_is_told_of_clashes_among_her_own_demonstrations_in_full(api, alice,
                                                                            carol):
    first = services.register_event(organiser=alice, **static(0, 0, tomorrow(12)))
    second = services.register_event(organiser=alice, **static(1000, 0, tomorrow(12),
                                                               title="Second"))
    # A zone of her own second demonstration, proposed only, reaches the first.
    make_zone(second, alice, kind="buffer", geometry=geos(square(*at(-20, -20), size=0.001)))
    counter = services.register_event(organiser=alice, **static(
        5000, 0, tomorrow(12) + dt.timedelta(days=3), kind="counter",
        counter_to=first, title="Counter"))

    clashes = conflicts(api, alice, first)

    assert [(c["event"], c["title"], c["kind"], c["counter"]) for c in clashes] == [
        (second.pk, "Second", "overlap", False), (counter.pk, "Counter", "too_close", True)]


# --- the attack: moving a draft about and asking again --------------------------------------


#: Where Mallory moves her draft, metres east and north of City Hall.
PROBES = [(0, 0), (100, 0), (0, 100), (-100, -100)]
#: Alice's unregistered plan (a draft): a place and times Mallory must not learn.
SECRET_PLACE = (40.0, -30.0)
SECRET_STARTS = (15, 10)
#: A women's shelter the city keeps on its sensitive layer, never on a public map.
SHELTER_PLACE = (-50.0, 70.0)


def trilaterate(answers: list[list[dict]], which) -> tuple[float, float] | None:
    """Where the thing that the clashes picked by ``which`` measure to lies, in metres from
    City Hall, from the distances Mallory was told at each probe (least squares over the
    circles around the probes); None when she was not told at least three distances."""
    circles = []
    for probe, clashes in zip(PROBES, answers, strict=True):
        distances = [c["distance_m"] for c in clashes if which(c)]
        if distances:
            circles.append((*probe, distances[0]))
    if len(circles) < 3:
        return None
    (x0, y0, r0), rest = circles[0], circles[1:]
    # (x-xi)² + (y-yi)² = ri², minus the first circle's equation: linear in x and y.
    rows = [(2 * (xi - x0), 2 * (yi - y0), r0**2 - ri**2 + xi**2 - x0**2 + yi**2 - y0**2)
            for xi, yi, ri in rest]
    saa = sum(a * a for a, _, _ in rows)
    sab = sum(a * b for a, b, _ in rows)
    sbb = sum(b * b for _, b, _ in rows)
    sac = sum(a * c for a, _, c in rows)
    sbc = sum(b * c for _, b, c in rows)
    det = saa * sbb - sab * sab
    return (sac * sbb - sab * sbc) / det, (saa * sbc - sab * sac) / det


def probe(api, mallory, draft: int, *, asker=None) -> list[list[dict]]:
    """Mallory moves her draft to each probe in turn and asks for its clashes (or has
    ``asker`` ask, to compare)."""
    answers = []
    for east_m, north_m in PROBES:
        moved = api(mallory).patch(
            f"/api/v1/events/{draft}/",
            {"assembly_point": {"type": "Point", "coordinates": list(at(east_m, north_m))}},
            format="json")
        assert moved.status_code == 200, moved.content
        answers.append(conflicts(api, asker or mallory, draft))
    return answers


def test_an_organiser_moving_a_draft_about_learns_nothing_she_could_not_see(
    api, alice, mallory, bob, carol
):
    # Something Mallory may see, so that her probing finds something: Alice's public
    # demonstration 60 m north of City Hall.
    public = agreed(alice, carol, **static(0, 60, tomorrow(9), hours=12,
                                           title="Public rally"))
    # Mallory's broad draft: the whole day, so that the window she shares with anything is
    # that thing's own times.
    body = {
        "title": "Picnic", "kind": "static", "organisation": "Picnic club",
        "description": "A picnic.",
        "expected_attendance": 5, "stewards": 1,
        "starts_at": iso(tomorrow(0)), "ends_at": iso(tomorrow(23, 59)),
        "assembly_point": {"type": "Point", "coordinates": [LON, LAT]},
        "amplified_sound": False, "languages": ["en"], "contact_name": "M",
        "contact_phone": "+1 614 555 0199", "contact_email": "m@example.org",
    }
    created = api(mallory).post("/api/v1/events/", body, format="json")
    assert created.status_code == 201, created.content
    draft = created.json()["id"]

    before = probe(api, mallory, draft)

    # Now what Mallory may not see: Alice's plan, not yet submitted; a zone the police
    # propose for the public rally, reaching towards City Hall; and the shelter.
    secret = services.register_event(organiser=alice, **static(
        *SECRET_PLACE, tomorrow(*SECRET_STARTS), hours=1.5, title="Secret plan"))
    services.add_member(public, username=bob.username, actor=carol)
    make_zone(public, bob, kind="buffer", geometry=geos(square(*at(-130, 10), size=0.0002)))
    make_sensitive_site(carol, label="Women's shelter",
                        geometry=geos(square(*at(*SHELTER_PLACE), size=0.00001)))

    after = probe(api, mallory, draft)
    as_city = probe(api, mallory, draft, asker=carol)

    # The same answers as before, word for word: nothing of what was added.
    assert after == before
    assert all(c["event"] == public.pk for clashes in after for c in clashes)
    assert before[0], "the probe reaches the public rally"
    # The probes did reach all three: the city is told of each at every probe...
    for clashes in as_city:
        assert {c["event"] for c in clashes} == {public.pk, secret.pk, None}
    # ...and from what the city is told, the shelter and the plan are found to the metre —
    # what Mallory would have found had she been told it.
    shelter = trilaterate(as_city, lambda c: c["kind"] == "sensitive_site")
    plan = trilaterate(as_city, lambda c: c["event"] == secret.pk)
    assert shelter is not None and plan is not None
    assert abs(shelter[0] - SHELTER_PLACE[0]) < 1.5 and abs(shelter[1] - SHELTER_PLACE[1]) < 1.5
    assert abs(plan[0] - SECRET_PLACE[0]) < 0.5 and abs(plan[1] - SECRET_PLACE[1]) < 0.5
    # From what Mallory was told, neither is found, nor the plan's times.
    assert trilaterate(after, lambda c: c["kind"] == "sensitive_site") is None
    assert trilaterate(after, lambda c: c["event"] != public.pk) is None
    told = str(after)
    assert iso(secret.starts_at) not in told and iso(secret.ends_at) not in told


# --- police and city --------------------------------------------------------------------------


def test_police_and_city_are_told_of_every_clash_by_name(api, alice, mallory, bob, carol):
    mine = services.register_event(organiser=mallory, **static(0, 0, tomorrow(12)))
    hidden = services.register_event(organiser=alice, **static(150, 0, tomorrow(13),
                                                               title="Hidden draft"))
    public = agreed(alice, carol, **static(1000, 0, tomorrow(11), title="Public"))
    zone = make_zone(public, carol, kind="buffer",
                     geometry=geos(square(*at(-20, -20), size=0.001)))
    site = make_sensitive_site(carol, label="Women's shelter",
                               geometry=geos(square(*at(-5, -5), size=0.0001)))
    counter = services.register_event(organiser=alice, **static(
        5000, 0, tomorrow(12) + dt.timedelta(days=2), kind="counter",
        counter_to=mine, title="Counter draft"))
    assert zone.status != "agreed"

    for official in (bob, carol):
        clashes = conflicts(api, official, mine)
        assert [(c["event"], c["title"], c["kind"], c["counter"], c["zone"], c["label"])
                for c in clashes] == [
            (public.pk, "Public", "overlap", False, None, None),
            (hidden.pk, "Hidden draft", "too_close", False, None, None),
            (counter.pk, "Counter draft", "too_close", True, None, None),
            (None, None, "sensitive_site", False, site.pk, "Women's shelter"),
        ], official


# --- reviewers ------------------------------------------------------------------------------


def test_a_reviewer_is_told_of_sensitive_sites_but_not_of_demonstrations_he_cannot_see(
    api, alice, mallory, bob, carol, dave
):
    # Within PARLEY_LIVE_WINDOW_HOURS of its start, whatever the hour: it goes live.
    soon = timezone.now() + dt.timedelta(hours=1)
    event = registered(alice, carol, **static(0, 0, soon))
    services.add_member(event, username=bob.username, actor=carol)
    event, _zone = live_event(event, alice=alice, bob=bob, carol=carol)
    concluded = services.transition_event(event, to="concluded", actor=carol)
    # Never reviewed, so never concluded: not the reviewer's to see.
    hidden = registered(mallory, carol, **static(150, 0, soon + dt.timedelta(hours=1)))
    site = make_sensitive_site(carol, label="Women's shelter",
                               geometry=geos(square(*at(-5, -5), size=0.0001)))

    clashes = conflicts(api, dave, concluded)

    # Dave sees the city-wide layer, so he is told of the site, by name.
    assert [(c["event"], c["zone"], c["label"]) for c in clashes] == [
        (None, site.pk, "Women's shelter")]
    assert {c["event"] for c in conflicts(api, carol, concluded)} == {hidden.pk, None}
