"""``manage.py run_notifier [--once]``: the notifier. Every ``PARLEY_PUSH_INTERVAL_SECONDS``
it composes the Web Push notifications for what happened (push/notifications.py) and sends
them (push/delivery.py); every ``PARLEY_NOTIFIER_INTERVAL_SECONDS`` it queues the e-mails
about unacknowledged alerts and instructions and sends the queued e-mail (retrying failed
e-mail with back-off); until stopped (Ctrl-C or SIGTERM).

It lives in the top layer because it drives both: push reads across messaging, zones and
events; the e-mail part is messaging's and coordination's, called as before.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from coordination.notifications import Courier
from messaging.notifications import queue_unacknowledged_emails
from push.delivery import Sender
from push.notifications import compose_pushes

logger = logging.getLogger("parley.notifications")


class Command(BaseCommand):
    help = ("Send notifications: Web Push for alerts, instructions, zones awaiting agreement "
            "and changes of state; e-mail reminders of unacknowledged alerts and "
            "instructions and other queued e-mail, retrying failures with back-off.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true",
                            help="One round, then exit (for tests and cron).")

    def handle(self, *args, **options) -> None:
        courier = Courier()
        sender = Sender()
        try:
            if options["once"]:
                self._push_round(sender)
                self._email_round(courier)
                return
            self._loop(courier, sender)
        finally:
            sender.close()

    def _loop(self, courier: Courier, sender: Sender) -> None:
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        push_every = settings.PARLEY_PUSH_INTERVAL_SECONDS
        email_every = settings.PARLEY_NOTIFIER_INTERVAL_SECONDS
        logger.info("notifier started (push every %ss, e-mail every %ss)",
                    push_every, email_every)
        next_email = 0.0
        while not stopping.is_set():
            started = time.monotonic()
            # Like a request: a connection that broke or outlived CONN_MAX_AGE is replaced.
            close_old_connections()
            try:
                self._push_round(sender)
                if time.monotonic() >= next_email:
                    next_email = time.monotonic() + email_every
                    self._email_round(courier)
            except Exception:
                # A database that went away for a moment must not end the notifier: the
                # queues are in the database, so the next round picks up where this failed.
                logger.exception("notifier round failed; trying again")
            # Rounds start every push_every seconds: a long round is not followed by a full
            # wait, so what was committed during it waits at most one interval.
            stopping.wait(max(min(push_every, email_every) - (time.monotonic() - started), 0))
        logger.info("notifier stopped")

    def _push_round(self, sender: Sender) -> None:
        composed = compose_pushes()
        result = sender.deliver()
        if composed or any(result.values()):
            self.stdout.write(
                f"composed {composed} push(es); pushed {result['sent']}, "
                f"failed {result['failed']}, gone {result['gone']}, "
                f"dropped {result['dropped']}"
            )

    def _email_round(self, courier: Courier) -> None:
        reminders = queue_unacknowledged_emails()
        result = courier.deliver()
        if reminders or result["sent"] or result["failed"]:
            self.stdout.write(
                f"queued {reminders} reminder(s); sent {result['sent']}, "
                f"failed {result['failed']} e-mail(s)"
            )
