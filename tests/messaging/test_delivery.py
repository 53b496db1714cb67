"""Each channel's messages reach a connection once and in seq order, however the channel
layer's notifications arrive (messaging/delivery.py), decided without a server."""

from __future__ import annotations

import datetime as dt

from messaging.delivery import ChannelStreams, Reminders


def replayed_up_to(head: int, channel: str = "all") -> ChannelStreams:
    streams = ChannelStreams()
    streams.replay_started(channel)
    assert streams.replayed(channel, head) == []
    return streams


def test_the_next_message_goes_out_at_once():
    streams = replayed_up_to(3)
    assert streams.arrived("all", 4, "m4") == ["m4"]
    assert streams.arrived("all", 5, "m5") == ["m5"]
    assert not streams.has_gap("all")


def test_nothing_is_sent_of_a_channel_not_subscribed():
    streams = replayed_up_to(3, "all")
    assert streams.arrived("officials", 1, "o1") == []
    assert streams.channels() == ["all"]


def test_a_message_already_sent_is_not_sent_again():
    streams = replayed_up_to(3)
    assert streams.arrived("all", 3, "m3") == []
    assert streams.arrived("all", 1, "m1") == []


def test_one_that_overtakes_another_waits_for_it():
    streams = replayed_up_to(3)
    assert streams.arrived("all", 5, "m5") == []
    assert streams.arrived("all", 6, "m6") == []
    assert streams.has_gap("all") and streams.gap("all") == (3, 6)
    assert streams.arrived("all", 4, "m4") == ["m4", "m5", "m6"]
    assert not streams.has_gap("all") and streams.gap("all") is None


def test_what_arrives_during_the_replay_follows_it_without_repeats():
    streams = ChannelStreams()
    streams.replay_started("all")
    assert streams.arrived("all", 4, "m4") == []  # the replay is being read
    assert streams.arrived("all", 5, "m5") == []
    assert streams.gap("all") is None  # nothing to fill: the replay is not done
    # The replay read the database up to 4: 4 is dropped, 5 follows.
    assert streams.replayed("all", 4) == ["m5"]
    assert streams.arrived("all", 6, "m6") == ["m6"]


def test_a_lost_notification_is_filled_from_the_database():
    streams = replayed_up_to(3)
    streams.arrived("all", 6, "m6")
    after_seq, up_to = streams.gap("all")
    from_database = [(4, "m4 (db)"), (5, "m5 (db)"), (6, "m6 (db)")]
    assert (after_seq, up_to) == (3, 6)
    assert streams.caught_up("all", from_database) == ["m4 (db)", "m5 (db)", "m6 (db)"]
    assert not streams.has_gap("all")
    assert streams.arrived("all", 7, "m7") == ["m7"]


def test_catching_up_skips_what_went_out_meanwhile():
    streams = replayed_up_to(3)
    streams.arrived("all", 5, "m5")
    streams.arrived("all", 4, "m4")  # the late notification came while the database was read
    assert streams.caught_up("all", [(4, "m4 (db)"), (5, "m5 (db)")]) == []


def test_a_new_subscribe_starts_the_channel_again():
    streams = replayed_up_to(10)
    streams.arrived("all", 12, "m12")
    streams.replay_started("all")  # the client resubscribes from an earlier seq
    assert streams.channels() == []
    assert streams.caught_up("all", [(11, "m11")]) == []  # the replay sends it
    assert streams.gap("all") is None
    assert streams.replayed("all", 12) == []


def test_a_refused_replay_holds_nothing_back():
    streams = ChannelStreams()
    streams.replay_started("officials")
    streams.replay_refused("officials")
    assert streams.arrived("officials", 1, "o1") == []
    assert not streams.has_gap("officials")


def test_the_safety_net_compares_with_the_head_in_the_database():
    streams = replayed_up_to(3)
    assert streams.behind("all", 3) is None
    assert streams.behind("all", 5) == (3, 5)
    assert streams.behind("officials", 5) is None  # not read: nothing to catch up on


def test_an_alert_is_reminded_again_only_after_the_interval():
    reminders, interval = Reminders(), dt.timedelta(minutes=2)
    start = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    alerts = [{"id": 1}, {"id": 2}]
    assert reminders.due(alerts, now=start, interval=interval) == alerts
    assert reminders.due(alerts, now=start + dt.timedelta(minutes=1), interval=interval) == []
    later = start + interval
    assert reminders.due([{"id": 2}, {"id": 3}], now=later, interval=interval) == [
        {"id": 2}, {"id": 3}]
