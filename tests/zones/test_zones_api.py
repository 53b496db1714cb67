"""Zones over the REST API (docs/protocol.md, "Zones"): drawn, changed, agreed by all three parties.

alice organises the demonstration; bob (police) and carol (city) are its members; dave
reviews; mallory organises another demonstration; erin is police but not a member.
"""

import datetime as dt

import pytest

from coordination.log import verify_event_log
from coordination.models import LogEntry
from events import services as event_services
from tests.support.factories import event_fields
from tests.support.zones import (
    LAT,
    LON,
    event_zones_url,
    feature,
    geos,
    iso,
    make_sensitive_site,
    make_zone,
    square,
    two_squares,
    zone_url,
)
from zones.models import Zone, ZoneAgreement, ZoneVersion

ZONES = "/api/v1/zones/"
PROPERTIES = {
    "id", "event", "kind", "label", "conditions", "version", "valid_from", "valid_to", "status",
    "agreed_by", "agreements", "created_at", "updated_at",
}


@pytest.fixture
def bobs_zone(alices_event, bob):
    return make_zone(alices_event, bob, conditions="Amplified sound until 18:00")


def conclude(event, carol):
    for state in ("under_review", "agreed", "live", "concluded"):
        event_services.transition_event(event, to=state, actor=carol)
    event.refresh_from_db()
    return event


def zone_log(event):
    entries = LogEntry.objects.filter(event=event, kind__startswith="zone.").order_by("seq")
    return [(e.kind, e.data) for e in entries]


# --- Drawing zones -------------------------------------------------------------------------


def test_police_member_draws_a_zone_for_the_event(alices_event, bob, api):
    response = api(bob).post(event_zones_url(alices_event), feature(
        square(), kind="assembly", label="Steps of City Hall", conditions="No tents",
    ))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "Feature"
    assert body["geometry"] == square()
    assert set(body["properties"]) == PROPERTIES
    properties = body["properties"]
    assert body["id"] == properties["id"] == Zone.objects.get().pk
    assert properties["event"] == alices_event.pk
    assert properties["kind"] == "assembly"
    assert properties["label"] == "Steps of City Hall"
    assert properties["conditions"] == "No tents"
    assert properties["version"] == 1
    assert properties["status"] == "proposed"
    assert properties["agreed_by"] == [] and properties["agreements"] == []
    # Valid during the demonstration unless told otherwise.
    assert properties["valid_from"] == iso(alices_event.starts_at)
    assert properties["valid_to"] == iso(alices_event.ends_at)


def test_a_zone_may_be_sent_as_its_properties_and_geometry(alices_event, carol, api):
    response = api(carol).post(event_zones_url(alices_event), {
        "kind": "first_aid", "label": "Medics", "geometry": square(),
    })

    assert response.status_code == 201, response.json()
    assert response.json()["properties"]["kind"] == "first_aid"


def test_a_multipolygon_comes_back_as_a_multipolygon_and_a_polygon_as_a_polygon(
        alices_event, bob, api):
    multi = api(bob).post(event_zones_url(alices_event), feature(two_squares()))
    single = api(bob).post(event_zones_url(alices_event), feature(square()))

    assert multi.status_code == 201 and single.status_code == 201
    assert multi.json()["geometry"] == two_squares()
    assert single.json()["geometry"] == square()


def test_zone_times_are_chosen_by_whoever_draws_it(alices_event, bob, api):
    starts = alices_event.starts_at - dt.timedelta(hours=2)
    ends = alices_event.ends_at + dt.timedelta(hours=1)

    response = api(bob).post(event_zones_url(alices_event), feature(
        kind="police_staging", valid_from=iso(starts), valid_to=iso(ends)))

    assert response.status_code == 201, response.json()
    assert response.json()["properties"]["valid_from"] == iso(starts)
    assert response.json()["properties"]["valid_to"] == iso(ends)


def test_a_zone_must_end_after_it_starts(alices_event, bob, api):
    starts = alices_event.starts_at

    response = api(bob).post(event_zones_url(alices_event), feature(
        valid_from=iso(starts), valid_to=iso(starts - dt.timedelta(minutes=1))))

    assert response.status_code == 400
    assert "valid_to" in response.json()
    assert not Zone.objects.exists()


def test_organiser_proposes_a_zone_for_their_own_event(alices_event, alice, api):
    response = api(alice).post(event_zones_url(alices_event), feature(kind="accessible_viewing"))

    assert response.status_code == 201, response.json()
    assert response.json()["properties"]["status"] == "proposed"


def test_police_who_are_not_members_cannot_draw_zones(alices_event, erin, api):
    response = api(erin).post(event_zones_url(alices_event), feature())

    assert response.status_code == 403
    assert "members" in response.json()["detail"]
    assert not Zone.objects.exists()


def test_another_events_organiser_hears_there_is_no_such_event(alices_event, mallory, api):
    listed = api(mallory).get(event_zones_url(alices_event))
    drawn = api(mallory).post(event_zones_url(alices_event), feature())

    assert listed.status_code == drawn.status_code == 404
    assert not Zone.objects.exists()


def test_reviewer_cannot_draw_zones_even_on_a_concluded_event(alices_event, carol, dave, api):
    open_event = api(dave).post(event_zones_url(alices_event), feature())
    conclude(alices_event, carol)
    concluded = api(dave).post(event_zones_url(alices_event), feature())

    assert open_event.status_code == 404  # reviewers do not see events before they conclude
    assert concluded.status_code == 403
    assert not Zone.objects.exists()


def test_nobody_draws_zones_on_a_concluded_event(alices_event, carol, api):
    conclude(alices_event, carol)

    response = api(carol).post(event_zones_url(alices_event), feature())

    assert response.status_code == 409
    assert "Concluded" in response.json()["detail"]


def test_anonymous_callers_are_refused(alices_event, bobs_zone, api):
    assert api().get(event_zones_url(alices_event)).status_code == 401
    assert api().get(ZONES).status_code == 401
    assert api().post(zone_url(bobs_zone.pk, "agreements/"), {"version": 1}).status_code == 401


def test_drawing_a_zone_is_logged_with_its_shape(alices_event, bob, api):
    body = api(bob).post(event_zones_url(alices_event), feature(conditions="No tents")).json()

    [(kind, data)] = zone_log(alices_event)
    assert kind == "zone.created"
    assert data["zone"] == body["id"] and data["version"] == 1
    assert data["kind"] == "assembly" and data["conditions"] == "No tents"
    assert geos(square()).equals_exact(geos(data["geometry"]))
    assert verify_event_log(alices_event.pk).valid


def test_a_zone_cannot_be_a_sensitive_site_of_one_event(alices_event, carol, api):
    response = api(carol).post(event_zones_url(alices_event), feature(kind="sensitive_site"))

    assert response.status_code == 400
    assert "city-wide" in response.json()["kind"][0]
    assert not Zone.objects.exists()


# --- The city-wide layer ----------------------------------------------------------------------


def test_city_designates_a_sensitive_site_for_the_whole_city(carol, api):
    response = api(carol).post(ZONES, feature(kind="sensitive_site", label="Children's hospital"))

    assert response.status_code == 201, response.json()
    properties = response.json()["properties"]
    assert properties["event"] is None
    assert properties["valid_from"] is None and properties["valid_to"] is None
    # The city alone decides the city-wide layer: designating it is agreeing it.
    assert properties["status"] == "agreed"
    assert properties["agreed_by"] == ["city"]
    assert properties["agreements"][0]["name"] == "Carol City"


def test_organiser_cannot_create_a_sensitive_site(alice, api):
    response = api(alice).post(ZONES, feature(kind="sensitive_site"))

    assert response.status_code == 403
    assert "city" in response.json()["detail"].lower()
    assert not Zone.objects.exists()


def test_police_cannot_create_a_sensitive_site(bob, api):
    response = api(bob).post(ZONES, feature(kind="sensitive_site"))

    assert response.status_code == 403
    assert not Zone.objects.exists()


def test_a_city_wide_zone_is_a_sensitive_site(carol, api):
    response = api(carol).post(ZONES, feature(kind="buffer"))

    assert response.status_code == 400
    assert "sensitive site" in response.json()["kind"][0]


def test_only_the_city_changes_or_withdraws_a_sensitive_site(carol, bob, api):
    site = make_sensitive_site(carol)

    by_police = api(bob).patch(zone_url(site.pk), {"label": "Hospital"})
    withdrawn_by_police = api(bob).post(zone_url(site.pk, "withdraw/"))
    by_city = api(carol).patch(zone_url(site.pk), {"geometry": square(size=0.002)})

    assert by_police.status_code == withdrawn_by_police.status_code == 403
    assert by_city.status_code == 200, by_city.json()
    properties = by_city.json()["properties"]
    assert (properties["version"], properties["status"], properties["agreed_by"]) == (
        2, "agreed", ["city"])


# --- Reading ----------------------------------------------------------------------------------


def test_event_zones_are_a_feature_collection(alices_event, bob, alice, api):
    first = make_zone(alices_event, bob)
    second = make_zone(alices_event, bob, kind="press", geometry=geos(two_squares()))

    response = api(alice).get(event_zones_url(alices_event))

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == [first.pk, second.pk]
    assert body["features"][1]["geometry"] == two_squares()


def test_one_zone_is_read_by_its_id(bobs_zone, alice, api):
    response = api(alice).get(zone_url(bobs_zone.pk))

    assert response.status_code == 200
    assert response.json()["properties"]["conditions"] == "Amplified sound until 18:00"


def test_outsiders_hear_a_zone_does_not_exist(bobs_zone, carol, mallory, dave, api):
    site = make_sensitive_site(carol)

    for person in (mallory, dave):
        assert api(person).get(zone_url(bobs_zone.pk)).status_code == 404
        assert api(person).post(zone_url(bobs_zone.pk, "agreements/"),
                                {"version": 1}).status_code == 404
        assert api(person).patch(zone_url(bobs_zone.pk), {"label": "x"}).status_code == 404
    assert api(mallory).get(zone_url(site.pk)).status_code == 404
    assert api(mallory).get(zone_url(999999)).status_code == 404


def test_police_who_are_not_members_read_zones_but_cannot_change_them(bobs_zone, erin, api):
    assert api(erin).get(zone_url(bobs_zone.pk)).status_code == 200

    response = api(erin).patch(zone_url(bobs_zone.pk), {"geometry": square(size=0.002)})

    assert response.status_code == 403
    assert Zone.objects.get().version == 1


def test_the_city_wide_list_shows_each_person_what_they_may_see(
        alices_event, bob, carol, dave, alice, mallory, api):
    alices_zone = make_zone(alices_event, bob)
    other_event = event_services.register_event(organiser=mallory, **event_fields())
    mallorys_zone = make_zone(other_event, mallory)
    site = make_sensitive_site(carol)

    def ids(person):
        response = api(person).get(ZONES)
        assert response.status_code == 200
        assert response.json()["type"] == "FeatureCollection"
        return {f["id"] for f in response.json()["features"]}

    assert ids(bob) == ids(carol) == {alices_zone.pk, mallorys_zone.pk, site.pk}
    assert ids(alice) == {alices_zone.pk}
    assert ids(mallory) == {mallorys_zone.pk}
    assert ids(dave) == {site.pk}
    conclude(alices_event, carol)
    assert ids(dave) == {alices_zone.pk, site.pk}


def test_zones_are_found_by_box_and_moment(alices_event, bob, carol, api):
    here = make_zone(alices_event, bob)
    far = make_zone(alices_event, bob, geometry=geos(square(LON + 1, LAT + 1)))
    later = make_zone(alices_event, bob, valid_from=alices_event.ends_at,
                      valid_to=alices_event.ends_at + dt.timedelta(hours=1))
    site = make_sensitive_site(carol)  # always in force
    box = f"{LON - 0.01},{LAT - 0.01},{LON + 0.01},{LAT + 0.01}"

    def ids(**params):
        response = api(carol).get(ZONES, params)
        assert response.status_code == 200, response.json()
        return {f["id"] for f in response.json()["features"]}

    assert ids(bbox=box) == {here.pk, later.pk, site.pk}
    during = iso(alices_event.starts_at + dt.timedelta(minutes=30))
    assert ids(active_at=during) == {here.pk, far.pk, site.pk}
    # Valid from its start (included) to its end (excluded).
    assert ids(bbox=box, active_at=iso(alices_event.ends_at)) == {later.pk, site.pk}
    assert ids(kind="sensitive_site") == {site.pk}
    assert ids(status="agreed") == {site.pk}


def test_a_withdrawn_zone_is_not_in_force(alices_event, bobs_zone, bob, carol, api):
    api(bob).post(zone_url(bobs_zone.pk, "withdraw/"))

    during = iso(alices_event.starts_at + dt.timedelta(minutes=30))
    features = api(carol).get(ZONES, {"active_at": during}).json()["features"]

    assert features == []
    assert api(carol).get(ZONES, {"status": "withdrawn"}).json()["features"][0]["id"] == (
        bobs_zone.pk)


@pytest.mark.parametrize("params, field", [
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "10,10,0,0"}, "bbox"),
    ({"active_at": "tomorrow"}, "active_at"),
    ({"active_at": "2026-05-01T14:00:00"}, "active_at"),  # no offset
    ({"kind": "moat"}, "kind"),
    ({"status": "pending"}, "status"),
])
def test_bad_filters_are_explained(params, field, carol, api):
    response = api(carol).get(ZONES, params)

    assert response.status_code == 400
    assert field in response.json()


# --- Changing: every change of shape, times, kind or conditions is a new version -------------


@pytest.mark.parametrize("change", [
    {"geometry": square(size=0.002)},
    {"conditions": "Amplified sound until 17:00"},
    {"kind": "buffer"},
    {"valid_to": "LATER"},
])
def test_a_change_makes_a_new_version_and_clears_the_agreements(
        change, alices_event, bobs_zone, alice, bob, api):
    if change.get("valid_to") == "LATER":
        change = {"valid_to": iso(alices_event.ends_at + dt.timedelta(hours=1))}
    api(alice).post(zone_url(bobs_zone.pk, "agreements/"), {"version": 1})

    response = api(bob).patch(zone_url(bobs_zone.pk), change)

    assert response.status_code == 200, response.json()
    properties = response.json()["properties"]
    assert properties["version"] == 2
    assert properties["status"] == "proposed"
    assert properties["agreed_by"] == []
    assert ZoneVersion.objects.filter(zone=bobs_zone).count() == 2
    # The old version keeps its agreement.
    assert ZoneAgreement.objects.get().version.number == 1


def test_a_changed_zone_can_be_sent_as_a_feature(bobs_zone, carol, api):
    response = api(carol).patch(zone_url(bobs_zone.pk), feature(
        two_squares(), kind="restricted", label="Closed to traffic"))

    assert response.status_code == 200, response.json()
    assert response.json()["geometry"] == two_squares()
    assert response.json()["properties"]["kind"] == "restricted"


def test_renaming_a_zone_is_not_a_new_version(bobs_zone, alice, bob, api):
    api(alice).post(zone_url(bobs_zone.pk, "agreements/"), {"version": 1})

    response = api(bob).patch(zone_url(bobs_zone.pk), {"label": "North steps"})

    assert response.status_code == 200
    properties = response.json()["properties"]
    assert (properties["label"], properties["version"], properties["agreed_by"]) == (
        "North steps", 1, ["organiser"])


def test_sending_the_same_values_changes_nothing(alices_event, bobs_zone, bob, api):
    before = LogEntry.objects.count()

    response = api(bob).patch(zone_url(bobs_zone.pk), {
        "geometry": square(), "conditions": "Amplified sound until 18:00"})

    assert response.status_code == 200
    assert response.json()["properties"]["version"] == 1
    assert LogEntry.objects.count() == before


def test_old_versions_are_kept_with_who_agreed_them(alices_event, bobs_zone, alice, bob, api):
    api(alice).post(zone_url(bobs_zone.pk, "agreements/"), {"version": 1})
    api(bob).patch(zone_url(bobs_zone.pk), {"geometry": square(size=0.002)})

    response = api(alice).get(zone_url(bobs_zone.pk, "versions/"))

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    first, second = body["features"]
    assert first["geometry"] == square() and second["geometry"] == square(size=0.002)
    assert (first["properties"]["version"], first["properties"]["status"]) == (1, "superseded")
    assert first["properties"]["agreed_by"] == ["organiser"]
    assert first["properties"]["agreements"][0]["name"] == "Alice Martin"
    assert first["properties"]["proposed_by"] == "Bob Officer"
    assert (second["properties"]["version"], second["properties"]["status"]) == (2, "proposed")
    assert second["properties"]["agreed_by"] == []


def test_a_change_is_logged(alices_event, bobs_zone, bob, api):
    api(bob).patch(zone_url(bobs_zone.pk), {"conditions": "Quiet after 20:00", "label": "Steps"})

    kind, data = zone_log(alices_event)[-1]
    assert kind == "zone.changed"
    assert data == {"zone": bobs_zone.pk, "version": 2, "new_version": True,
                    "conditions": "Quiet after 20:00", "label": "Steps"}


def test_organiser_cannot_change_a_zone(bobs_zone, alice, api):
    response = api(alice).patch(zone_url(bobs_zone.pk), {"geometry": square(size=0.002)})

    assert response.status_code == 403
    assert "organisers propose" in response.json()["detail"]


def test_a_zone_stays_with_its_event(alices_event, bobs_zone, mallory, bob, api):
    other = event_services.register_event(organiser=mallory, **event_fields())

    response = api(bob).patch(zone_url(bobs_zone.pk), {"event": other.pk, "status": "agreed",
                                                       "version": 7})

    assert response.status_code == 200
    properties = response.json()["properties"]
    assert (properties["event"], properties["status"], properties["version"]) == (
        alices_event.pk, "proposed", 1)


def test_an_invalid_change_saves_nothing(alices_event, bobs_zone, bob, api):
    before = LogEntry.objects.count()
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}

    response = api(bob).patch(zone_url(bobs_zone.pk), {"geometry": bowtie, "label": "New"})

    assert response.status_code == 400
    assert "crosses itself" in response.json()["geometry"][0]
    zone = Zone.objects.get()
    assert (zone.version, zone.label) == (1, "Steps of City Hall")
    assert LogEntry.objects.count() == before


# --- Agreeing: organiser, police and city each agree the current version ---------------------


def agree(api, person, zone_id, version=1):
    return api(person).post(zone_url(zone_id, "agreements/"), {"version": version})


def test_a_zone_is_agreed_when_organiser_police_and_city_have_agreed(
        bobs_zone, alice, bob, carol, api):
    by_alice = agree(api, alice, bobs_zone.pk)
    by_bob = agree(api, bob, bobs_zone.pk)

    assert by_alice.status_code == by_bob.status_code == 201
    assert by_bob.json()["properties"]["status"] == "proposed"
    assert by_bob.json()["properties"]["agreed_by"] == ["organiser", "police"]

    by_carol = agree(api, carol, bobs_zone.pk)

    assert by_carol.status_code == 201
    properties = by_carol.json()["properties"]
    assert properties["status"] == "agreed"
    assert properties["agreed_by"] == ["organiser", "police", "city"]
    assert [(a["party"], a["name"]) for a in properties["agreements"]] == [
        ("organiser", "Alice Martin"), ("police", "Bob Officer"), ("city", "Carol City")]


def test_agreeing_a_version_that_is_no_longer_current_is_a_conflict(bobs_zone, alice, bob, api):
    api(bob).patch(zone_url(bobs_zone.pk), {"geometry": square(size=0.002)})

    response = agree(api, alice, bobs_zone.pk, version=1)

    assert response.status_code == 409
    assert "version 2" in response.json()["detail"]
    assert not ZoneAgreement.objects.exists()


def test_agreeing_a_version_that_does_not_exist_yet_is_a_conflict(bobs_zone, alice, api):
    response = agree(api, alice, bobs_zone.pk, version=2)

    assert response.status_code == 409
    assert not ZoneAgreement.objects.exists()


def test_after_a_change_every_party_agrees_again(bobs_zone, alice, bob, carol, api):
    for person in (alice, bob, carol):
        agree(api, person, bobs_zone.pk)
    assert Zone.objects.get().status == "agreed"

    changed = api(carol).patch(zone_url(bobs_zone.pk), {"conditions": "No amplified sound"})
    assert changed.json()["properties"]["status"] == "proposed"
    for person in (alice, bob, carol):
        assert agree(api, person, bobs_zone.pk, version=2).status_code == 201

    assert Zone.objects.get().status == "agreed"
    assert ZoneAgreement.objects.count() == 6


def test_agreeing_twice_is_not_an_error(bobs_zone, alice, api):
    first = agree(api, alice, bobs_zone.pk)
    second = agree(api, alice, bobs_zone.pk)

    assert (first.status_code, second.status_code) == (201, 200)
    assert ZoneAgreement.objects.count() == 1


def test_one_police_officer_agrees_for_the_police(alices_event, bobs_zone, bob, carol, erin, api):
    event_services.add_member(alices_event, username="erin", actor=carol)
    agree(api, erin, bobs_zone.pk)

    response = agree(api, bob, bobs_zone.pk)

    assert response.status_code == 200
    assert response.json()["properties"]["agreements"] == [
        {"party": "police", "name": "Erin Beat", "at": response.json()["properties"][
            "agreements"][0]["at"]}]


def test_police_who_are_not_members_cannot_agree(bobs_zone, erin, api):
    response = agree(api, erin, bobs_zone.pk)

    assert response.status_code == 403
    assert not ZoneAgreement.objects.exists()


def test_an_agreement_names_its_version(bobs_zone, alice, api):
    for body in ({}, {"version": 0}, {"version": "first"}):
        response = api(alice).post(zone_url(bobs_zone.pk, "agreements/"), body)
        assert response.status_code == 400
        assert "version" in response.json()


def test_agreements_are_logged(alices_event, bobs_zone, alice, bob, carol, api):
    for person in (alice, bob, carol):
        agree(api, person, bobs_zone.pk)

    assert [(kind, data) for kind, data in zone_log(alices_event)][1:] == [
        ("zone.agreed", {"zone": bobs_zone.pk, "version": 1, "party": "organiser",
                         "status": "proposed"}),
        ("zone.agreed", {"zone": bobs_zone.pk, "version": 1, "party": "police",
                         "status": "proposed"}),
        ("zone.agreed", {"zone": bobs_zone.pk, "version": 1, "party": "city",
                         "status": "agreed"}),
    ]
    assert verify_event_log(alices_event.pk).valid


# --- Withdrawing ------------------------------------------------------------------------------


def test_police_withdraw_a_zone_and_it_stays_on_record(alices_event, bobs_zone, bob, api):
    response = api(bob).post(zone_url(bobs_zone.pk, "withdraw/"))

    assert response.status_code == 200
    assert response.json()["properties"]["status"] == "withdrawn"
    assert zone_log(alices_event)[-1] == ("zone.withdrawn", {"zone": bobs_zone.pk, "version": 1})
    assert api(bob).get(zone_url(bobs_zone.pk)).status_code == 200


def test_organiser_cannot_withdraw_a_zone(bobs_zone, alice, api):
    assert api(alice).post(zone_url(bobs_zone.pk, "withdraw/")).status_code == 403
    assert Zone.objects.get().status == "proposed"


def test_a_withdrawn_zone_is_neither_changed_nor_agreed(bobs_zone, alice, bob, api):
    api(bob).post(zone_url(bobs_zone.pk, "withdraw/"))

    assert agree(api, alice, bobs_zone.pk).status_code == 409
    assert api(bob).patch(zone_url(bobs_zone.pk), {"label": "x"}).status_code == 409
    assert api(bob).post(zone_url(bobs_zone.pk, "withdraw/")).status_code == 409


def test_zones_of_a_concluded_event_are_frozen(alices_event, bobs_zone, alice, carol, api):
    conclude(alices_event, carol)

    assert agree(api, alice, bobs_zone.pk).status_code == 409
    assert api(carol).patch(zone_url(bobs_zone.pk), {"label": "x"}).status_code == 409


# --- GeoJSON files for other GIS tools --------------------------------------------------------


def test_an_events_zones_download_as_a_geojson_file(alices_event, bobs_zone, alice, api):
    response = api(alice).get(f"/api/v1/events/{alices_event.pk}/zones.geojson")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{alices_event.reference}-zones.geojson"')
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["geometry"] == square()


def test_the_city_wide_layer_downloads_as_a_geojson_file(alices_event, bobs_zone, carol, api):
    site = make_sensitive_site(carol)

    response = api(carol).get("/api/v1/zones.geojson", {"kind": "sensitive_site"})

    assert response.status_code == 200
    assert 'filename="parley-zones.geojson"' in response["Content-Disposition"]
    assert [f["id"] for f in response.json()["features"]] == [site.pk]


def test_outsiders_download_nothing(alices_event, bobs_zone, mallory, api):
    assert api(mallory).get(
        f"/api/v1/events/{alices_event.pk}/zones.geojson").status_code == 404
    assert api(mallory).get("/api/v1/zones.geojson").json()["features"] == []
    assert api().get("/api/v1/zones.geojson").status_code == 401


# --- The OpenAPI document ---------------------------------------------------------------------


def test_openapi_describes_the_zone_endpoints(db, api):
    schema = api().get("/api/v1/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/events/{id}/zones/"])
    assert {"get", "post"} <= set(paths["/api/v1/zones/"])
    assert {"get", "patch"} <= set(paths["/api/v1/zones/{id}/"])
    assert "post" in paths["/api/v1/zones/{id}/agreements/"]
    assert "get" in paths["/api/v1/events/{id}/zones.geojson"]
    parameters = {p["name"] for p in paths["/api/v1/zones/"]["get"]["parameters"]}
    assert {"bbox", "active_at"} <= parameters
    zone = schema["components"]["schemas"]["Zone"]
    geometry_types = {s["properties"]["type"]["enum"][0]
                      for s in zone["properties"]["geometry"]["oneOf"]}
    assert geometry_types == {"Polygon", "MultiPolygon"}
    assert "id" in zone["properties"]["properties"]["properties"]


def test_openapi_document_builds_without_warnings(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null", stderr=StringIO())
