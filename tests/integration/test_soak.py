"""The short soak (bench/soak.py) in ``make test``: a few hundred messages, the same faults.

Two Daphne workers on the test database and a Redis server of the test's own; clients
dropped at random, one worker killed with SIGKILL and restarted, Redis restarted. Run in the
PostgreSQL/Redis half of ``make test`` (skipped on the embedded default: one process, no
Redis, nothing to kill).
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from bench.harness import make_events
from bench.soak import SoakConfig, make_soak_parties, run_soak

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def test_short_soak_under_faults_loses_skips_and_duplicates_nothing(
    start_workers, redis_server
):
    events = await sync_to_async(make_events)(4, 9)
    members, reviewers, tokens = await sync_to_async(make_soak_parties)(events, 10)
    workers = await sync_to_async(start_workers)(2, redis_server.url)
    # Resume times are the bench's to measure (docs/reliability.md): here, under
    # `nice -n 19` on a shared machine, they say more about the machine than about Parley.
    config = SoakConfig(messages=300, rate=30, disconnects=30, worker_down=0.5,
                        redis_down=1.0, drain=30, max_resume=30)

    result = await run_soak(config, workers, redis_server, events, members, reviewers, tokens)

    assert result.failures == [], "\n" + result.table()
    rows = dict(result.rows)
    assert rows["disconnects injected"] == 30
    assert rows["workers killed (SIGKILL) and restarted"] == 1
    assert rows["Redis restarts"] == 1
    assert rows["messages stored"] == 300
