"""Web Push as it runs in production: two ``manage.py run_notifier`` processes (the real
settings, the VAPID key from the environment) on the test database, pushing to a local push
service; each member's phone gets each thing once, within seconds, in their language."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from events import services as events
from push.keys import generate_private_pem, public_key
from tests.integration.test_notifier_process import database_url
from tests.push.stories import send_alert, subscribe
from tests.support.push_service import PushService, verify_vapid

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _wait_until_started(process: subprocess.Popen, *, timeout: float = 30.0) -> None:
    """Read the notifier's log until it says it started (its signal handlers are set)."""
    seen = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line)
            if "notifier started" in line:
                process.early = "".join(seen)
                return
    process.kill()
    pytest.fail(f"the notifier did not start: {''.join(seen)}")


def test_two_notifier_processes_push_each_thing_once_within_seconds(agreed_event, alice, bob,
                                                                    carol, settings):
    pem = generate_private_pem().decode()
    settings.PARLEY_VAPID_PRIVATE_KEY = pem
    settings.PARLEY_VAPID_SUBJECT = "mailto:push@parley.example.org"
    key = public_key()
    alice.language = "fr"
    alice.save()
    live = events.transition_event(agreed_event, to="live", actor=carol)
    with PushService() as service:
        phones = {"alice": subscribe(alice, service, "alice"),
                  "carol": subscribe(carol, service, "carol")}
        connection.close()  # the notifiers read what this process committed
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "DATABASE_URL": database_url(),
            "PARLEY_VAPID_PRIVATE_KEY": pem,
            "PARLEY_VAPID_SUBJECT": "mailto:push@parley.example.org",
            "PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS": "true",
            "PARLEY_PUSH_INTERVAL_SECONDS": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
        notifiers = [subprocess.Popen([sys.executable, "manage.py", "run_notifier"], cwd=ROOT,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
        try:
            for notifier in notifiers:
                _wait_until_started(notifier)
            started = time.monotonic()
            send_alert(live, bob, "Move back from the bridge")
            service.wait_for(2, timeout=30)
            first_latency = max(r.at for r in service.received) - started
            # A second thing, pushed after both notifiers have been round many times since
            # the first: a first push sent twice would be there by now.
            send_alert(live, bob, "All clear", kind="instruction")
            service.wait_for(4, timeout=30)
        finally:
            errors = []
            for notifier in notifiers:
                notifier.send_signal(signal.SIGTERM)
            for notifier in notifiers:
                try:
                    _out, err = notifier.communicate(timeout=20)
                except subprocess.TimeoutExpired:
                    notifier.kill()
                    _out, err = notifier.communicate()
                errors.append(notifier.early + err)
        assert all(notifier.returncode == 0 for notifier in notifiers), errors
        assert all("notifier stopped" in err for err in errors)
        received = list(service.received)

    assert len(received) == 4
    assert first_latency < 5
    for name, phone in phones.items():
        pushes = [phone.decrypt(r) for r in received if r.path.endswith(f"/{name}")]
        assert [p["body"] for p in pushes] == ["Move back from the bridge", "All clear"]
        assert {p["lang"] for p in pushes} == {"fr" if name == "alice" else "en"}
    assert phones["alice"].decrypt(received[0] if received[0].path.endswith("/alice")
                                   else received[1])["title"].startswith("Alerte")
    for request in received:
        verify_vapid(request, endpoint=service.origin + request.path, public_key=key)
