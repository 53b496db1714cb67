"""A live connection's upkeep (messaging/upkeep.py): what is due at each tick, and its tasks,
driven without a server or a database."""

from __future__ import annotations

import asyncio

from messaging.delivery import ChannelStreams
from messaging.inflight import ConnectionClosed
from messaging.upkeep import Every, Upkeep, tick_seconds


def test_a_connection_looks_as_often_as_its_most_frequent_check():
    # The defaults: membership every 30 s, reminders every 120 s, catch-up every 10 s.
    assert tick_seconds(membership_check=30, alert_reminder=120, catch_up=10) == 10
    assert tick_seconds(membership_check=0.5, alert_reminder=120, catch_up=10) == 0.5


def test_however_short_the_intervals_it_looks_at_most_five_times_a_second():
    assert tick_seconds(membership_check=0.01, alert_reminder=0.05, catch_up=0.1) == 0.2


def test_a_check_is_due_once_per_interval_counted_from_when_it_was_last_due():
    membership = Every(last=100.0)
    assert not membership.due(129.9, 30)
    assert membership.due(130.0, 30)
    assert not membership.due(140.0, 30)  # done at 130: next at 160
    assert not membership.due(159.9, 30)
    assert membership.due(161.5, 30)
    assert not membership.due(190.0, 30)  # a late tick moves the next one back


def test_a_check_that_failed_waits_for_its_interval_and_one_not_reached_stays_due():
    membership_check, catch_up = Every(last=0.0), Every(last=0.0)
    # At 30 s both are due; the membership check is found due first, then the database
    # fails, so the catch-up is not asked that tick...
    assert membership_check.due(30.0, 30)
    # ...and at the next tick the catch-up is still due, the membership check not again.
    assert not membership_check.due(40.0, 30)
    assert catch_up.due(40.0, 10)


def replayed_up_to(head: int, channel: str = "all") -> ChannelStreams:
    streams = ChannelStreams()
    streams.replay_started(channel)
    streams.replayed(channel, head)
    return streams


class Connection:
    """What the consumer gives the upkeep, recorded: nothing goes to a server."""

    def __init__(self, *, still_a_member: bool = True) -> None:
        self.frames: list[dict] = []
        self.texts: list[str] = []
        self.membership_checks = 0
        self.still_a_member = still_a_member

    async def send_frame(self, frame: dict) -> None:
        self.frames.append(frame)

    async def send_texts(self, texts: list[str]) -> None:
        self.texts.extend(texts)

    async def recheck_membership(self) -> None:
        self.membership_checks += 1
        if not self.still_a_member:
            raise ConnectionClosed

    def upkeep(self, streams: ChannelStreams) -> Upkeep:
        return Upkeep(event_id=42, connection="specific.test!1", user=None, language="en",
                      streams=streams, send_frame=self.send_frame,
                      send_texts=self.send_texts, recheck_membership=self.recheck_membership)


async def test_a_notification_that_comes_late_fills_the_gap_without_reading_the_database(
    settings,
):
    settings.PARLEY_GAP_WAIT_SECONDS = 0.05
    streams, connection = replayed_up_to(3), Connection()
    upkeep = connection.upkeep(streams)
    assert streams.arrived("all", 5, "m5") == []  # 4 is missing
    upkeep.fill_gap_if_needed("all")
    filling = upkeep.gap_fillers["all"]
    upkeep.fill_gap_if_needed("all")  # one filler per channel
    assert upkeep.gap_fillers == {"all": filling}
    await asyncio.sleep(0)  # the filler starts waiting for the missing one...
    assert streams.arrived("all", 4, "m4") == ["m4", "m5"]  # ...which comes late
    # The filler finds nothing missing, and ends without a database read (which, without
    # a database here, would fail the task).
    await asyncio.wait_for(filling, timeout=5)
    assert upkeep.gap_fillers == {}
    assert connection.texts == []
    upkeep.stop()


async def test_nothing_held_back_needs_no_gap_filler():
    streams, connection = replayed_up_to(3), Connection()
    upkeep = connection.upkeep(streams)
    assert streams.arrived("all", 4, "m4") == ["m4"]
    upkeep.fill_gap_if_needed("all")
    assert upkeep.gap_fillers == {}
    upkeep.stop()


async def test_housekeeping_ends_when_the_person_may_no_longer_be_here(settings):
    settings.PARLEY_MEMBERSHIP_CHECK_SECONDS = 0.2
    connection = Connection(still_a_member=False)
    upkeep = connection.upkeep(ChannelStreams())
    await asyncio.wait_for(upkeep.housekeeping, timeout=5)
    assert connection.membership_checks == 1
    assert connection.frames == connection.texts == []


async def test_when_the_connection_ends_its_upkeep_stops(settings):
    settings.PARLEY_GAP_WAIT_SECONDS = 60
    streams, connection = replayed_up_to(3), Connection()
    upkeep = connection.upkeep(streams)
    streams.arrived("all", 5, "m5")
    upkeep.fill_gap_if_needed("all")
    tasks = [upkeep.housekeeping, *upkeep.gap_fillers.values()]
    upkeep.stop()
    # Both end at once (the filler would otherwise wait a minute).
    _ended, still_running = await asyncio.wait(tasks, timeout=5)
    assert not still_running
    assert connection.membership_checks == 0

