"""Which zone versions wait for someone's agreement (zones.selectors.zone_versions_awaiting):
bob (police) proposes a zone on alice's demonstration; alice and carol's parties have to
agree it, mallory (another organiser) and dave (reviewer) never hear of it."""

from events import services as events
from tests.support.zones import geos, make_zone, square
from zones import services
from zones.selectors import zone_versions_awaiting


def test_a_proposed_zone_waits_for_the_other_parties_not_for_its_proposer(
        agreed_event, alice, bob, carol):
    zone = make_zone(agreed_event, bob)
    services.agree_zone(zone, actor=bob, version=1)

    assert list(zone_versions_awaiting(alice)) == [zone]
    assert list(zone_versions_awaiting(carol)) == [zone]
    assert list(zone_versions_awaiting(bob)) == []


def test_it_stops_waiting_once_the_party_agreed_and_waits_again_for_a_new_version(
        agreed_event, alice, bob):
    zone = make_zone(agreed_event, bob)
    services.agree_zone(zone, actor=alice, version=1)
    assert list(zone_versions_awaiting(alice)) == []

    services.change_zone(zone, actor=bob, geometry=geos(square(size=0.002)))

    (waiting,) = zone_versions_awaiting(alice)
    assert (waiting, waiting.version) == (zone, 2)


def test_nothing_waits_for_people_outside_the_demonstration(agreed_event, bob, mallory,
                                                            erin, frank, dave):
    make_zone(agreed_event, bob)

    for outsider in (mallory, erin, frank, dave):
        assert list(zone_versions_awaiting(outsider)) == []


def test_a_withdrawn_zone_or_a_closed_demonstration_waits_no_more(agreed_event, alice, bob,
                                                                  carol):
    withdrawn = make_zone(agreed_event, bob)
    services.withdraw_zone(withdrawn, actor=bob)
    kept = make_zone(agreed_event, bob, label="First aid")
    assert list(zone_versions_awaiting(alice)) == [kept]

    events.transition_event(agreed_event, to="cancelled", actor=carol, note="Storm.")
    assert list(zone_versions_awaiting(alice)) == []
