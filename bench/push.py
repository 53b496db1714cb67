"""How fast one notifier pushes an alert to every member of a demonstration by Web Push.

    .venv/bin/python bench/push.py                      # 500 members, 3 alerts
    .venv/bin/python bench/push.py --members 200 --alerts 5

It creates its own PostgreSQL database (``--database-url``, default ``parley_bench_push``)
and drops it at the end. One agreed demonstration gets ``--members`` members (police and city
members, its organiser), each with a phone subscribed to Web Push (its own P-256 key pair and
auth secret) at a local test push service (``tests/support/push_service.py``: a threaded HTTP
server answering 201, on this machine). Nobody is connected. The real notifier process
(``manage.py run_notifier``, production settings: its thread pool, one HTTP connection per
thread kept open) runs beside it. Then ``--alerts`` times, a police member sends an alert
through the channel's service (committed here, as a worker would), and it measures:

- commit → last push accepted: from the alert's commit to the push service's answer to the
  last member's push (what the 5-second promise is about);
- commit → first push accepted;
- throughput: pushes per second between the first and the last;

and then, the notifier stopped, one more alert with its round run in this process and timed
its composing part (reading the log, who gets what, each payload in its reader's language)
timed.

Every push is encrypted (RFC 8291) for its phone and signed (VAPID): a sample is decrypted
and the count per phone checked, so a push lost or sent twice fails the run.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from harness import make_events, recreate_database, setup_django, stop_on_sigterm

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/parley_bench_push"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def wait_started(process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
            line = process.stderr.readline()
            if not line:
                break
            if "notifier started" in line:
                return
    raise SystemExit("the notifier did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    args = parser.parse_args()
    stop_on_sigterm()
    sys.path.insert(0, str(ROOT))
    from push.keys import generate_private_pem

    pem = generate_private_pem().decode()
    recreate_database(args.database_url)
    env = setup_django(args.database_url, args.redis_url,
                       PARLEY_VAPID_PRIVATE_KEY=pem,
                       PARLEY_VAPID_SUBJECT="mailto:bench@parley.example.org",
                       PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS="true",
                       PARLEY_PRESENCE_STALE_SECONDS="90")
    from django.db import connection

    from events import services as events
    from messaging import services as messaging
    from push import services as push
    from tests.support.push_service import PushService, Subscriber

    (bench,) = make_events(1, args.members)
    city = next(m for m in bench.members if m.role == "city")
    events.transition_event(bench.event, to="live", actor=city)
    sender = next(m for m in bench.members if m.role == "police")
    notifier = None
    with PushService() as service:
        phones = {}
        for member in bench.members:
            phone = Subscriber(service.endpoint(f"m{member.pk}"))
            push.subscribe(user=member, endpoint=phone.endpoint, p256dh=phone.p256dh,
                           auth=phone.subscription_json()["keys"]["auth"], event=bench.event)
            phones[member.pk] = phone
        expected = len(bench.members) - 1  # not the sender
        connection.close()
        notifier = subprocess.Popen([sys.executable, "manage.py", "run_notifier"], cwd=ROOT,
                                    env={**env, "PYTHONUNBUFFERED": "1"},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        rows = []
        try:
            wait_started(notifier)
            for n in range(args.alerts):
                before = len(service.received)
                committed = time.monotonic()
                messaging.send_message(event=bench.event, sender=sender, channel="all",
                                       kind="alert", body=f"Alert {n}", client_id=uuid.uuid4())
                got = service.wait_for(before + expected, timeout=120)[before:]
                arrivals = [r.at for r in got]
                first, last = min(arrivals) - committed, max(arrivals) - committed
                rows.append((n + 1, first, last,
                             expected / max(max(arrivals) - min(arrivals), 1e-6)))
                sample = got[0]
                member_pk = int(sample.path.rsplit("/m", 1)[1])
                assert phones[member_pk].decrypt(sample)["body"] == f"Alert {n}"
            # One more alert with the notifier stopped, its round run here and timed in parts.
            notifier.send_signal(signal.SIGTERM)
            notifier.wait(timeout=30)
            notifier = None
            from push.delivery import Sender
            from push.notifications import compose_pushes

            before = len(service.received)
            messaging.send_message(event=bench.event, sender=sender, channel="all",
                                   kind="alert", body="In process", client_id=uuid.uuid4())
            started = time.perf_counter()
            composed = compose_pushes()
            composing = time.perf_counter() - started
            sending_pool = Sender()
            sent = sending_pool.deliver()["sent"]
            sending_pool.close()
            service.wait_for(before + expected, timeout=60)
            assert composed == sent == expected, (composed, sent)
            per_phone = {}
            for request in service.received:
                per_phone[request.path] = per_phone.get(request.path, 0) + 1
            assert set(per_phone.values()) == {args.alerts + 1}, "a push lost or sent twice"
        finally:
            if notifier is not None:
                notifier.send_signal(signal.SIGTERM)
                notifier.wait(timeout=30)
    name = urlparse(args.database_url).path.lstrip("/")
    connection.close()
    import psycopg

    admin = urlparse(args.database_url)._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"Web Push: {expected} members with no connection, one notifier "
          f"({os.cpu_count()} cores), local push service")
    print(f"{'alert':>5}  {'first (s)':>9}  {'last (s)':>8}  {'pushes/s':>8}")
    for n, first, last, rate in rows:
        print(f"{n:>5}  {first:>9.2f}  {last:>8.2f}  {rate:>8.0f}")
    # (Sending is not timed here: the push service shares this process and its GIL.)
    print(f"in-process round: composing {expected} pushes took {composing:.2f} s")
    print(f"median commit → last push accepted: {statistics.median(r[2] for r in rows):.2f} s; "
          f"median throughput {statistics.median(r[3] for r in rows):.0f} pushes/s")


if __name__ == "__main__":
    main()
