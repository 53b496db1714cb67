"""The live channel's database threads: a client getting back into its channel goes first."""

import threading

from messaging.threads import FIRST, IN_TURN, DatabaseThreads

WAIT = 10  # seconds: a bound for the test, never reached when things work


def test_work_for_a_resuming_client_overtakes_the_queue_but_not_the_work_running():
    threads = DatabaseThreads(1, name="test-db")
    running, release = threading.Event(), threading.Event()
    order: list[str] = []

    def busy():
        running.set()
        release.wait(WAIT)
        order.append("running batch")

    threads.submit(IN_TURN, busy)
    assert running.wait(WAIT)
    queued = [threads.submit(IN_TURN, order.append, f"batch {n}") for n in (1, 2)]
    resume = threads.submit(FIRST, order.append, "resume")
    release.set()
    for future in [*queued, resume]:
        future.result(WAIT)
    assert order == ["running batch", "resume", "batch 1", "batch 2"]


def test_errors_reach_whoever_waits_and_the_thread_goes_on():
    threads = DatabaseThreads(1, name="test-db")
    failing = threads.first.submit(int, "not a number")
    assert isinstance(failing.exception(WAIT), ValueError)
    assert threads.in_turn.submit(int, "42").result(WAIT) == 42
