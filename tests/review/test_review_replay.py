"""The replay: zones as they stood at any moment (zones.history), and the history the replay
page slides through (GET /api/v1/events/{id}/replay/): who may read it and what it holds."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils.dateparse import parse_datetime

from coordination.models import LogEntry
from review.timeline import replay_history
from tests.support.review import between, live_event, say
from tests.support.zones import geos, make_zone, square
from zones import services as zones
from zones.history import zones_at
from zones.models import ZoneAgreement, ZoneVersion

pytestmark = pytest.mark.django_db


def replay_url(event) -> str:
    return f"/api/v1/events/{event.pk}/replay/"


def agreement_times(zone, number) -> list[dt.datetime]:
    return sorted(ZoneAgreement.objects.filter(zone=zone, version__number=number)
                  .values_list("at", flat=True))


def proposed_at(zone, number) -> dt.datetime:
    return ZoneVersion.objects.get(zone=zone, number=number).created_at


# --- zones as they stood ------------------------------------------------------------------

def test_replay_shows_the_zone_version_and_status_of_the_moment(alices_event, alice, bob,
                                                                carol):
    zone = make_zone(alices_event, carol, label="Steps")
    for person in (alice, bob, carol):
        zone, _new = zones.agree_zone(zone, actor=person, version=1)
    zone = zones.change_zone(zone, actor=bob, geometry=geos(square(size=0.003)))
    zone, _new = zones.agree_zone(zone, actor=alice, version=2)
    zone, _new = zones.agree_zone(zone, actor=bob, version=2)
    zone, _new = zones.agree_zone(zone, actor=carol, version=2)

    v1, v2 = proposed_at(zone, 1), proposed_at(zone, 2)
    v1_agreed, v2_agreed = agreement_times(zone, 1)[-1], agreement_times(zone, 2)[-1]

    def at(moment):
        return [(z.zone_id, z.version.number, z.status) for z in zones_at(alices_event, moment)]

    assert at(v1 - dt.timedelta(seconds=1)) == []
    assert at(between(v1, agreement_times(zone, 1)[0])) == [(zone.pk, 1, "proposed")]
    assert at(between(v1_agreed, v2)) == [(zone.pk, 1, "agreed")]
    assert at(between(v2, v2_agreed)) == [(zone.pk, 2, "proposed")]
    assert at(v2_agreed) == [(zone.pk, 2, "agreed")]
    # The geometry is that of the version in force.
    assert zones_at(alices_event, between(v1_agreed, v2))[0].version.geometry.equals(
        geos(square()))
    assert zones_at(alices_event, v2_agreed)[0].version.geometry.equals(
        geos(square(size=0.003)))


def test_a_version_agreed_by_two_parties_of_three_is_still_proposed(alices_event, alice,
                                                                     bob, carol):
    zone = make_zone(alices_event, carol)
    zones.agree_zone(zone, actor=alice, version=1)
    zones.agree_zone(zone, actor=carol, version=1)

    (state,) = zones_at(alices_event, agreement_times(zone, 1)[-1] + dt.timedelta(hours=1))
    assert state.status == "proposed"


def test_a_withdrawn_zone_shows_as_withdrawn_from_then_on(alices_event, carol):
    zone = make_zone(alices_event, carol)
    zone = zones.withdraw_zone(zone, actor=carol)

    before = zones_at(alices_event, between(proposed_at(zone, 1), zone.withdrawn_at))
    after = zones_at(alices_event, zone.withdrawn_at)

    assert [z.status for z in before] == ["proposed"]
    assert [z.status for z in after] == ["withdrawn"]


# --- who may read the history -------------------------------------------------------------

@pytest.mark.parametrize(("who", "status"), [
    ("alice", 403), ("bob", 403), ("erin", 403), ("mallory", 404),
    ("carol", 200), ("dave", 200),
])
def test_only_city_staff_and_reviewers_read_the_replay_history(request, api, story, who,
                                                               status, erin, mallory, dave):
    response = api(request.getfixturevalue(who)).get(replay_url(story.event))

    assert response.status_code == status
    if status != 200:
        assert set(response.json()) == {"detail"}


def test_anonymous_callers_are_refused(api, story):
    response = api().get(replay_url(story.event))

    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail"}


def test_the_replay_history_of_a_live_event_is_for_city_staff_only(api, alices_event, alice,
                                                                    bob, carol, dave):
    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)

    assert api(dave).get(replay_url(event)).status_code == 404
    assert api(carol).get(replay_url(event)).status_code == 200


# --- what the history holds ---------------------------------------------------------------

def test_the_history_holds_every_version_incident_and_message_of_both_channels(api, story,
                                                                              dave):
    history = api(dave).get(replay_url(story.event)).json()

    assert history["event"]["reference"] == story.event.reference
    (zone,) = history["zones"]
    assert [v["number"] for v in zone["versions"]] == [1, 2]
    assert zone["versions"][0]["agreed_at"] is None  # reshaped before anyone agreed it
    assert parse_datetime(zone["versions"][1]["agreed_at"]) == agreement_times(story.zone,
                                                                              2)[-1]
    assert zone["versions"][1]["geometry"]["type"] == "Polygon"
    (incident,) = history["incidents"]
    assert incident["description"] == "A banner pole fell over; nobody hurt."
    assert parse_datetime(incident["happened_at"]) == story.incident.happened_at
    assert incident["happened_at"] != incident["recorded_at"]
    messages = history["messages"]["results"]
    assert [(m["channel"], m["body"]) for m in messages] == [
        ("all", story.gathering.body), ("officials", story.standby.body),
        ("all", story.instruction.body)]
    assert [m["key_moment"] for m in messages] == [True, False, False]
    assert history["messages"] == {**history["messages"], "count": 3, "truncated": False}
    assert "assembly_point" in history["places"]


def test_the_history_runs_from_registration_to_conclusion(api, story, dave):
    history = api(dave).get(replay_url(story.event)).json()

    first = LogEntry.objects.filter(event=story.event).order_by("seq").first()
    concluded = LogEntry.objects.get(event=story.event, kind="event.transition",
                                     data__to="concluded")
    assert parse_datetime(history["start"]) == first.at
    assert parse_datetime(history["end"]) == concluded.at


def test_the_page_rules_applied_to_the_history_give_what_zones_at_gives(api, story, dave):
    """The replay page picks what stood at a moment from the history (replay.js); the same
    three rules, applied here in Python to the API's answer, agree with zones.history."""
    history = api(dave).get(replay_url(story.event)).json()

    def from_history(moment):
        shown = []
        for zone in history["zones"]:
            versions = [v for v in zone["versions"]
                        if parse_datetime(v["proposed_at"]) <= moment]
            if not versions:
                continue
            version = versions[-1]
            if zone["withdrawn_at"] and parse_datetime(zone["withdrawn_at"]) <= moment:
                status = "withdrawn"
            elif version["agreed_at"] and parse_datetime(version["agreed_at"]) <= moment:
                status = "agreed"
            else:
                status = "proposed"
            shown.append((zone["id"], version["number"], status))
        return shown

    moments = sorted({parse_datetime(v["proposed_at"]) for z in history["zones"]
                      for v in z["versions"]}
                     | set(agreement_times(story.zone, 2)))
    samples = [moments[0] - dt.timedelta(seconds=1), *moments,
               *(between(a, b) for a, b in itertools.pairwise(moments))]
    for moment in samples:
        assert from_history(moment) == [
            (z.zone_id, z.version.number, z.status) for z in zones_at(story.event, moment)]


def test_incidents_and_messages_up_to_a_moment(story):
    history = replay_history(story.event)
    moment = between(story.gathering.sent_at, story.standby.sent_at)

    so_far = [m["body"] for m in history["messages"]["results"]
              if parse_datetime(m["sent_at"]) <= moment]
    assert so_far == [story.gathering.body]

    def incidents_by(moment):
        return [i["id"] for i in history["incidents"]
                if parse_datetime(i["happened_at"]) <= moment]

    # By when it happened, not when it was recorded.
    assert story.incident.happened_at < story.incident.recorded_at
    assert incidents_by(story.incident.happened_at - dt.timedelta(microseconds=1)) == []
    assert incidents_by(story.incident.happened_at) == [story.incident.pk]


def test_a_long_channel_is_capped_and_says_so(alices_event, alice, bob, carol, settings):
    settings.PARLEY_RATE_LIMIT_MESSAGES = 100
    event, _zone = live_event(alices_event, alice=alice, bob=bob, carol=carol)
    for n in range(5):
        say(event, carol, f"Update {n}")

    history = replay_history(event, message_limit=3)

    assert history["messages"]["count"] == 5
    assert history["messages"]["truncated"] is True
    assert [m["body"] for m in history["messages"]["results"]] == [
        "Update 0", "Update 1", "Update 2"]
