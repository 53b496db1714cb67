"""``manage.py run_notifier [--once]``: queue the e-mails about unacknowledged alerts and
instructions, then send the queued e-mail (retrying failed e-mail with back-off), every
``PARLEY_NOTIFIER_INTERVAL_SECONDS``, until stopped (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from coordination.notifications import Courier
from messaging.notifications import queue_unacknowledged_emails

logger = logging.getLogger("parley.notifications")


class Command(BaseCommand):
    help = ("Send e-mail notifications: queue reminders of unacknowledged alerts and "
            "instructions, then deliver queued e-mail, retrying failures with back-off.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true",
                            help="One round, then exit (for tests and cron).")

    def handle(self, *args, **options) -> None:
        courier = Courier()
        if options["once"]:
            self._round(courier)
            return
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        logger.info("notifier started (every %ss)", settings.PARLEY_NOTIFIER_INTERVAL_SECONDS)
        while not stopping.is_set():
            # Like a request: a connection that broke or outlived CONN_MAX_AGE is replaced.
            close_old_connections()
            try:
                self._round(courier)
            except Exception:
                # A database that went away for a moment must not end the notifier: the
                # queue is in the database, so the next round picks up where this one failed.
                logger.exception("notifier round failed; trying again")
            stopping.wait(settings.PARLEY_NOTIFIER_INTERVAL_SECONDS)
        logger.info("notifier stopped")

    def _round(self, courier: Courier) -> None:
        reminders = queue_unacknowledged_emails()
        result = courier.deliver()
        if reminders or result["sent"] or result["failed"]:
            self.stdout.write(
                f"queued {reminders} reminder(s); sent {result['sent']}, "
                f"failed {result['failed']} e-mail(s)"
            )
