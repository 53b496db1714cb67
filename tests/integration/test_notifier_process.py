"""The notifier as it runs in production: its own process (``manage.py run_notifier`` with the
real settings) on the test database, sending queued e-mail until it is told to stop."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from events import services as events
from tests.integration import conftest as integration

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as the notifier process's ``DATABASE_URL``."""
    if "postgis" in settings.DATABASES["default"]["ENGINE"]:
        return integration.test_database_url()
    return f"spatialite:///{settings.DATABASES['default']['NAME']}"


def wait_for_line(process: subprocess.Popen, text: str, *, timeout: float = 30.0) -> str:
    """Read ``process``'s output until a line contains ``text``; the lines read so far."""
    seen = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = process.stdout.readline()
            if not line:
                break  # the process ended
            seen.append(line)
            if text in line:
                return "".join(seen)
    process.kill()
    _out, err = process.communicate()
    pytest.fail(f"no line with {text!r} in {''.join(seen)!r}; errors: {err}")


def test_the_notifier_sends_queued_email_and_stops_cleanly_on_sigterm(alices_event, carol,
                                                                      tmp_path):
    events.transition_event(alices_event, to="under_review", actor=carol)
    connection.close()  # the notifier reads what this process committed
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"filemail:///{outbox}",  # three slashes, then the absolute path
        "PARLEY_NOTIFIER_INTERVAL_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",  # each line as it is written
    }
    notifier = subprocess.Popen(
        [sys.executable, "manage.py", "run_notifier"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        output = wait_for_line(notifier, "sent 1, failed 0")
        notifier.send_signal(signal.SIGTERM)
        _rest, stderr = notifier.communicate(timeout=20)
    finally:
        if notifier.poll() is None:
            notifier.kill()
            notifier.communicate()
    assert notifier.returncode == 0, stderr
    assert "notifier stopped" in stderr
    assert "queued 0 reminder(s)" in output
    (sent,) = outbox.iterdir()
    text = sent.read_text()
    assert "To: alice@example.org" in text
    assert alices_event.reference in text
