"""Who may do what with zones (asked by name, as pages, API and consumers ask), and what the
services write: versions kept, agreements per version, the log, announcements after commit.

alice organises the demonstration and zoe co-organises it; bob (police) and carol (city) are
its members, erin (police) and frank (city) are not; dave reviews; mallory organises
another demonstration.
"""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connections, transaction

from coordination.log import verify_event_log
from events import services as event_services
from events.models import Event
from tests.support.factories import event_fields, make_user
from tests.support.zones import geos, make_sensitive_site, make_zone, square
from zones import selectors, services
from zones.models import Zone, ZoneAgreement, ZoneVersion


@pytest.fixture
def people(alices_event, alice, bob, carol, dave, mallory):
    erin = make_user("erin", "police")
    frank = make_user("frank", "city")
    zoe = make_user("zoe", "organiser")
    event_services.add_member(alices_event, username="zoe", actor=alice)
    return {"alice": alice, "zoe": zoe, "bob": bob, "erin": erin, "carol": carol,
            "frank": frank, "dave": dave, "mallory": mallory}


@pytest.fixture
def zone(alices_event, bob):
    return make_zone(alices_event, bob)


@pytest.fixture
def site(carol):
    return make_sensitive_site(carol)


def allowed(people, perm, obj=None):
    return {name for name, user in people.items() if user.has_perm(perm, obj)}


# --- Who may do what ----------------------------------------------------------------------


def test_who_sees_a_zone_of_an_open_event(people, zone):
    assert allowed(people, "zones.view_zone", zone) == {
        "alice", "zoe", "bob", "erin", "carol", "frank"}


def test_who_sees_a_zone_of_a_concluded_event(people, zone, alices_event):
    alices_event.state = Event.State.CONCLUDED
    zone.event = alices_event

    assert allowed(people, "zones.view_zone", zone) == {
        "alice", "zoe", "bob", "erin", "carol", "frank", "dave"}


def test_who_sees_the_city_wide_layer(people, site):
    assert allowed(people, "zones.view_zone", site) == {"bob", "erin", "carol", "frank", "dave"}


def test_who_draws_zones_for_an_event(people, alices_event):
    # Organisers propose, police and city create: all of them members of the event.
    assert allowed(people, "zones.add_zone", alices_event) == {"alice", "zoe", "bob", "carol"}


def test_who_changes_and_withdraws_a_zone_of_an_event(people, zone):
    for perm in ("zones.change_zone", "zones.withdraw_zone"):
        assert allowed(people, perm, zone) == {"bob", "carol"}, perm


def test_who_agrees_a_zone_of_an_event(people, zone):
    assert allowed(people, "zones.agree_zone", zone) == {"alice", "zoe", "bob", "carol"}


def test_only_the_city_manages_sensitive_sites(people, site):
    assert allowed(people, "zones.add_citywide_zone") == {"carol", "frank"}
    for perm in ("zones.change_zone", "zones.withdraw_zone", "zones.agree_zone"):
        assert allowed(people, perm, site) == {"carol", "frank"}, perm


def test_nobody_anonymous_may_do_anything(zone, site, alices_event):
    anonymous = AnonymousUser()
    for perm, obj in [("zones.view_zone", zone), ("zones.view_zone", site),
                      ("zones.add_zone", alices_event), ("zones.add_citywide_zone", None),
                      ("zones.change_zone", zone), ("zones.agree_zone", zone)]:
        assert not anonymous.has_perm(perm, obj), perm


def test_a_deactivated_official_loses_everything(people, zone, site):
    carol = people["carol"]
    carol.is_active = False

    assert not carol.has_perm("zones.view_zone", zone)
    assert not carol.has_perm("zones.change_zone", site)
    assert not carol.has_perm("zones.add_citywide_zone")


def test_the_list_of_zones_matches_the_view_permission(people, zone, site, mallory):
    mallorys_event = event_services.register_event(organiser=mallory, **event_fields())
    mallorys_zone = make_zone(mallorys_event, mallory)
    zones = [zone, site, mallorys_zone]

    for name, user in people.items():
        listed = set(selectors.zones_visible_to(user).values_list("pk", flat=True))
        assert listed == {z.pk for z in zones if user.has_perm("zones.view_zone", z)}, name


# --- What the services write ---------------------------------------------------------------


def test_every_version_is_kept_as_it_was(zone, bob, carol):
    services.change_zone(zone, actor=carol, geometry=geos(square(size=0.002)),
                         conditions="Quiet after 20:00")
    services.change_zone(zone, actor=bob, label="North steps")  # a new name, no new version

    first, second = ZoneVersion.objects.filter(zone=zone).order_by("number")
    assert (first.number, first.conditions, first.created_by) == (1, "", bob)
    assert first.geometry.equals_exact(geos(square()))
    assert (second.number, second.conditions, second.created_by) == (2, "Quiet after 20:00",
                                                                     carol)
    assert second.geometry.equals_exact(geos(square(size=0.002)))
    assert Zone.objects.get().label == "North steps"


def test_agreements_stay_with_the_version_they_were_given_to(zone, alice, bob, carol):
    services.agree_zone(zone, actor=alice, version=1)
    services.agree_zone(zone, actor=bob, version=1)
    services.change_zone(zone, actor=carol, conditions="Quiet after 20:00")
    zone, created = services.agree_zone(zone, actor=carol, version=2)

    assert created
    assert [(a.version.number, a.party) for a in ZoneAgreement.objects.order_by("pk")] == [
        (1, "organiser"), (1, "police"), (2, "city")]
    assert [a.party for a in selectors.current_agreements(zone)] == ["city"]
    assert zone.status == "proposed"


def test_a_co_organiser_agrees_for_the_organisers(people, zone, bob, carol):
    services.agree_zone(zone, actor=people["zoe"], version=1)
    services.agree_zone(zone, actor=bob, version=1)
    zone, _ = services.agree_zone(zone, actor=carol, version=1)

    assert zone.status == "agreed"


def test_the_log_tells_the_zones_story_and_verifies(alices_event, zone, alice, bob, carol):
    services.agree_zone(zone, actor=alice, version=1)
    services.change_zone(zone, actor=carol, conditions="No amplified sound")
    for person in (alice, bob, carol):
        services.agree_zone(zone, actor=person, version=2)
    services.withdraw_zone(zone, actor=bob)

    kinds = list(alices_event.log_entries.filter(kind__startswith="zone.")
                 .order_by("seq").values_list("kind", flat=True))
    assert kinds == ["zone.created", "zone.agreed", "zone.changed", "zone.agreed",
                     "zone.agreed", "zone.agreed", "zone.withdrawn"]
    assert verify_event_log(alices_event.pk).valid


def test_a_sensitive_site_has_no_event_log_but_keeps_its_history(site, carol):
    services.change_zone(site, actor=carol, geometry=geos(square(size=0.003)))
    services.withdraw_zone(site, actor=carol)

    site.refresh_from_db()
    assert (site.status, site.withdrawn_by) == ("withdrawn", carol)
    assert [(v.number, v.created_by) for v in site.versions.all()] == [(1, carol), (2, carol)]
    assert [(a.version.number, a.party) for a in site.agreements.all()] == [
        (1, "city"), (2, "city")]


def test_a_zone_frame_goes_out_only_once_the_change_is_committed(
        alices_event, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        make_zone(alices_event, bob)

    assert len(callbacks) == 1


def test_the_city_wide_layer_has_no_live_channel(carol, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        make_sensitive_site(carol)

    assert callbacks == []


def test_the_database_keeps_sensitive_sites_city_wide(alices_event, bob):
    # Even a write that bypasses the services cannot attach a sensitive site to one event,
    # nor put another kind of zone on the city-wide layer.
    for event, kind in ((alices_event, "sensitive_site"), (None, "buffer")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Zone.objects.create(event=event, kind=kind, geometry=geos(square()), created_by=bob)


def test_zone_times_end_after_they_start_in_the_database_too(alices_event, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        Zone.objects.create(event=alices_event, kind="buffer", geometry=geos(square()),
                            created_by=bob, valid_from=alices_event.ends_at,
                            valid_to=alices_event.starts_at)


def test_the_zone_list_is_read_in_a_fixed_number_of_queries(
        alices_event, bob, carol, django_assert_max_num_queries):
    from zones.serializers import ZoneSerializer

    for _ in range(5):
        services.agree_zone(make_zone(alices_event, bob), actor=carol, version=1)

    with django_assert_max_num_queries(4):
        ZoneSerializer(selectors.zones_visible_to(carol), many=True).data  # noqa: B018


# --- At the same moment ---------------------------------------------------------------------


def at_the_same_moment(*calls):
    """Run each call in its own thread (own database connection), all released together."""
    start = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            start.wait(timeout=10)
            call()
        except Exception as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_three_parties_agreeing_at_once_make_the_zone_agreed(alices_event, alice, bob, carol):
    zone = make_zone(alices_event, bob)

    errors = at_the_same_moment(*[
        (lambda person=person: services.agree_zone(zone, actor=person, version=1))
        for person in (alice, bob, carol)])

    assert errors == []
    assert Zone.objects.get().status == "agreed"
    assert ZoneAgreement.objects.count() == 3
    assert verify_event_log(alices_event.pk).valid


@pytest.mark.django_db(transaction=True)
def test_simultaneous_changes_each_make_their_own_version(alices_event, bob, carol):
    zone = make_zone(alices_event, bob)

    errors = at_the_same_moment(*[
        (lambda n=n: services.change_zone(zone, actor=carol, conditions=f"Change {n}"))
        for n in range(4)])

    assert errors == []
    assert Zone.objects.get().version == 5
    assert list(ZoneVersion.objects.order_by("number").values_list("number", flat=True)) == [
        1, 2, 3, 4, 5]
    assert verify_event_log(alices_event.pk).valid
