"""A live connection's upkeep, between the frames and notifications it relays.

While a connection is open, ``Upkeep`` keeps its presence fresh, asks again whether its person
may still be here, catches up from the database on anything missed (a notification lost with
none after it to reveal the gap), reminds of alerts not yet acknowledged, and fills the gaps
that live traffic reveals (``messaging.delivery``). It owns the tasks that do so; the consumer
(``messaging.consumers``) gives it what it sends with, and stops it when the connection ends.

What is due at a tick (``tick_seconds``, ``Every``) is decided without a server
(tests/messaging/test_upkeep.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from messaging import presence, protocol, selectors
from messaging.delivery import ChannelStreams, Reminders
from messaging.inflight import ConnectionClosed
from messaging.threads import in_thread

logger = logging.getLogger(__name__)

#: A tick never comes more often than this, however short the intervals are set.
SHORTEST_TICK = 0.2


def tick_seconds(*, membership_check: float, alert_reminder: float, catch_up: float) -> float:
    """How often a connection looks at what is due: as often as its most frequent check."""
    return max(SHORTEST_TICK, min(membership_check, alert_reminder, catch_up))


@dataclass
class Every:
    """Something done every so many seconds: when it was last found due."""

    last: float

    def due(self, now: float, seconds: float) -> bool:
        """Whether it is due at ``now``; if so, it counts as done now (even if doing it then
        fails: it waits for its next interval)."""
        if now - self.last < seconds:
            return False
        self.last = now
        return True


class Upkeep:
    """The upkeep of one open connection (see the module's docstring)."""

    def __init__(self, *, event_id: int, connection: str, user, language: str,
                 streams: ChannelStreams,
                 send_frame: Callable[[dict], Awaitable[None]],
                 send_texts: Callable[[list[str]], Awaitable[None]],
                 recheck_membership: Callable[[], Awaitable[None]]) -> None:
        self.event_id, self.connection, self.user = event_id, connection, user
        self.language, self.streams = language, streams
        self.send_frame, self.send_texts = send_frame, send_texts
        #: closes the connection and raises ``ConnectionClosed`` if its person may no longer
        #: be here
        self.recheck_membership = recheck_membership
        self.reminders = Reminders()
        self.gap_fillers: dict[str, asyncio.Task] = {}
        self.housekeeping = asyncio.create_task(self._housekeeping())

    def stop(self) -> None:
        """The connection has ended: nothing more to keep up."""
        for task in (self.housekeeping, *self.gap_fillers.values()):
            task.cancel()

    # --- gaps in live traffic ---------------------------------------------------------

    def fill_gap_if_needed(self, channel: str) -> None:
        """If something of ``channel`` is held back for a missing ``seq``, see that it is
        filled."""
        if self.streams.has_gap(channel) and channel not in self.gap_fillers:
            self.gap_fillers[channel] = asyncio.create_task(self._fill_gap_later(channel))

    async def _fill_gap_later(self, channel: str) -> None:
        """Wait briefly for the missing notification; if it does not come (it was lost),
        read the gap from the database."""
        try:
            while self.streams.has_gap(channel):
                await asyncio.sleep(settings.PARLEY_GAP_WAIT_SECONDS)
                gap = self.streams.gap(channel)
                if gap is None:
                    break  # nothing missing, or a new subscribe replays it all
                await self._catch_up(channel, *gap)
        except asyncio.CancelledError:
            pass
        except DatabaseError:
            logger.warning("Could not fill a gap: database unavailable", exc_info=True)
        finally:
            self.gap_fillers.pop(channel, None)

    async def _catch_up(self, channel: str, after_seq: int, up_to: int) -> None:
        """Send from the database what this client has not had yet, up to ``up_to``."""
        # Read without holding the lock: live frames keep flowing meanwhile.
        frames = await in_thread(selectors.message_frames_between)(
            self.event_id, channel, after_seq=after_seq, up_to=up_to)
        texts = [(f["seq"], protocol.encode(f, self.language)) for f in frames]
        await self.send_texts(self.streams.caught_up(channel, texts))

    # --- housekeeping -----------------------------------------------------------------

    async def _housekeeping(self) -> None:
        """Keep presence fresh, re-check membership, catch up on anything missed, remind of
        unacknowledged alerts."""
        tick = tick_seconds(membership_check=settings.PARLEY_MEMBERSHIP_CHECK_SECONDS,
                            alert_reminder=settings.PARLEY_ALERT_REMINDER_SECONDS,
                            catch_up=settings.PARLEY_CATCH_UP_SECONDS)
        started = asyncio.get_running_loop().time()
        membership_check, catch_up = Every(started), Every(started)
        try:
            # Spread the checks of many connections over the interval: hundreds of
            # connections opened together must not all query the database in the same second.
            await asyncio.sleep(random.uniform(0, tick))  # noqa: S311
            while True:
                await asyncio.sleep(tick)
                now = asyncio.get_running_loop().time()
                try:
                    if membership_check.due(now, settings.PARLEY_MEMBERSHIP_CHECK_SECONDS):
                        await self.recheck_membership()
                        await in_thread(presence.refresh)(self.event_id,
                                                          connection=self.connection)
                    if catch_up.due(now, settings.PARLEY_CATCH_UP_SECONDS):
                        await self._catch_up_with_the_database()
                    await self._remind()
                except DatabaseError:
                    logger.warning("Housekeeping skipped: database unavailable", exc_info=True)
        except (asyncio.CancelledError, ConnectionClosed):
            pass

    async def _catch_up_with_the_database(self) -> None:
        """Compare each live channel's head in the database with what was sent."""
        for channel in self.streams.channels():
            if channel not in self.gap_fillers:  # else being filled already
                head = await in_thread(selectors.head_seq)(self.event_id, channel)
                if behind := self.streams.behind(channel, head):
                    await self._catch_up(channel, *behind)

    async def _remind(self) -> None:
        channels = self.streams.channels()
        if not channels:
            return
        interval = dt.timedelta(seconds=settings.PARLEY_ALERT_REMINDER_SECONDS)
        now = timezone.now()
        pending = await in_thread(selectors.pending_alerts)(
            self.event_id, channels, user=self.user, sent_before=now - interval)
        for frame in self.reminders.due(pending, now=now, interval=interval):
            await self.send_frame(protocol.reminder_frame(frame))
