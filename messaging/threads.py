"""Where the live channel's database work runs."""

from __future__ import annotations

import functools
import itertools
import os
import queue
import threading
from concurrent.futures import Executor, Future

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connection

#: Work that someone is waiting on to get (back) into the channel — a handshake, a
#: subscribe's replay — goes ahead of stored batches and housekeeping.
FIRST, IN_TURN = 0, 1


def in_thread(func=None, *, first: bool = False):
    """Run ``func`` in a worker thread with its own database connection.

    On PostgreSQL, a pool of threads: Channels' default (``thread_sensitive``) puts the
    database work of every connection of the process on one shared thread, one query after
    another. SQLite (the embedded mode) has one writer at a time anyway: there it keeps the
    one thread.

    ``first=True`` puts the work ahead of everything already queued that is not ``first``
    itself: a client resuming after a drop then waits for a thread to come free, not for
    the whole queue of a busy worker. Use as ``@in_thread`` or ``in_thread(f, first=True)``.
    """
    if func is None:
        return functools.partial(in_thread, first=first)
    if connection.vendor == "sqlite":
        return DatabaseSyncToAsync(func, thread_sensitive=True)
    threads = _database_threads()
    return DatabaseSyncToAsync(func, thread_sensitive=False,
                               executor=threads.first if first else threads.in_turn)


class _Queue(Executor):
    """One priority of a ``DatabaseThreads`` pool, as an ``Executor``."""

    def __init__(self, pool: DatabaseThreads, priority: int) -> None:
        self.pool, self.priority = pool, priority

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self.pool.submit(self.priority, fn, *args, **kwargs)


class DatabaseThreads:
    """A fixed pool of threads taking work from one queue, lower priority number first, in
    the order submitted within a priority."""

    def __init__(self, workers: int, name: str = "parley-db") -> None:
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()
        self.first, self.in_turn = _Queue(self, FIRST), _Queue(self, IN_TURN)
        for number in range(workers):
            # Daemon threads: a worker that stops mid-transaction leaves it to the database
            # to roll back, as a killed worker does.
            threading.Thread(target=self._work, name=f"{name}_{number}", daemon=True).start()

    def submit(self, priority: int, fn, /, *args, **kwargs) -> Future:
        """Queue ``fn(*args, **kwargs)``; its ``Future`` is done when it has run."""
        future: Future = Future()
        self._queue.put((priority, next(self._order), (future, fn, args, kwargs)))
        return future

    def _work(self) -> None:
        while True:
            _priority, _order, (future, fn, args, kwargs) = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to whoever waits, as an executor does
                future.set_exception(exc)
            else:
                future.set_result(result)


@functools.cache
def _database_threads() -> DatabaseThreads:
    return DatabaseThreads(settings.PARLEY_DATABASE_THREADS)


# A forked process keeps the pool but not its threads: it starts its own on first use.
os.register_at_fork(after_in_child=_database_threads.cache_clear)
