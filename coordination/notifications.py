"""E-mail notifications: queued with the action that causes them, delivered by the notifier.

An action only adds a row to django-mailer's queue, in its own transaction: nothing is lost
if the action commits, nothing is sent if it rolls back, and a slow or broken mail server
never holds it up. ``manage.py run_notifier`` (messaging) sends the queue through the
back-end that ``EMAIL_URL`` names; a failed e-mail is logged, deferred and retried later, the
wait doubling after each failed retry (``Courier``).

Each e-mail is rendered in its recipient's language (coordination/languages.py) from two
plain-text templates, a subject and a body.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import mailer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from mailer.engine import send_all
from mailer.models import RESULT_FAILURE, MessageLog
from mailer.models import Message as QueuedEmail

from coordination.languages import language_for
from coordination.models import EmailNotice

logger = logging.getLogger("parley.notifications")


def site_url(path: str) -> str:
    """``path`` as a link people can follow from an e-mail."""
    return settings.PARLEY_SITE_URL + path


def render_email(recipient, *, subject_template: str, body_template: str,
                 context: dict[str, Any]) -> tuple[str, str]:
    """The subject (one line) and body of an e-mail, in ``recipient``'s language."""
    with translation.override(language_for(recipient)):
        subject = " ".join(render_to_string(subject_template, context).split())
        body = render_to_string(body_template, context).strip() + "\n"
    return subject, body


@transaction.atomic
def queue_email(recipient, *, subject_template: str, body_template: str,
                context: dict[str, Any], once_key: str | None = None) -> bool:
    """Queue an e-mail to ``recipient`` in the caller's transaction; True if queued.

    Nothing is queued for someone without an e-mail address or no longer active. With
    ``once_key``, an e-mail with that key is queued at most once, ever (e.g. one reminder per
    alert and person).
    """
    if not recipient.email or not recipient.is_active:
        return False
    if once_key is not None:
        try:
            with transaction.atomic():
                EmailNotice.objects.create(key=once_key, recipient=recipient)
        except IntegrityError:
            return False  # already queued, by this notifier or another
    subject, body = render_email(recipient, subject_template=subject_template,
                                 body_template=body_template,
                                 context={**context, "recipient": recipient})
    mailer.send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    return True


def defer_failed_delivery(connection, message: QueuedEmail, exc: Exception):
    """django-mailer's error handler (``MAILER_ERROR_HANDLER``): whatever went wrong, the
    e-mail is kept, marked deferred and logged, to be retried later; the notifier goes on."""
    message.defer()
    MessageLog.objects.log(message, RESULT_FAILURE, log_message=str(exc))
    logger.warning("e-mail %s could not be sent (retry %s), will retry: %s",
                   message.pk, message.retry_count, exc)
    return None, "deferred"  # no connection: the next e-mail opens a fresh one


class Courier:
    """Sends the queue; retries deferred (failed) e-mail with back-off.

    After a round in which some e-mail failed, deferred e-mail waits
    ``PARLEY_EMAIL_RETRY_SECONDS`` before it is retried; each retry round that fails again
    doubles the wait, up to ``PARLEY_EMAIL_RETRY_MAX_SECONDS``; a round without failures
    resets it. A fresh courier (``run_notifier --once``, from cron) retries at once.
    """

    def __init__(self) -> None:
        self.failed_rounds = 0
        self.retry_at: dt.datetime | None = None

    def deliver(self, *, now: dt.datetime | None = None) -> dict[str, int]:
        """One round: retry deferred e-mail if its wait is over, then send what is queued.
        Returns how many were ``sent`` and how many ``failed`` in this round."""
        now = now or timezone.now()
        if self.retry_at is None or now >= self.retry_at:
            QueuedEmail.objects.retry_deferred()
        queued = QueuedEmail.objects.non_deferred().count()
        if not queued:
            return {"sent": 0, "failed": 0}
        deferred_before = QueuedEmail.objects.deferred().count()
        send_all()
        failed = max(QueuedEmail.objects.deferred().count() - deferred_before, 0)
        sent = max(queued - failed - QueuedEmail.objects.non_deferred().count(), 0)
        if failed:
            wait = min(settings.PARLEY_EMAIL_RETRY_SECONDS * 2 ** self.failed_rounds,
                       settings.PARLEY_EMAIL_RETRY_MAX_SECONDS)
            self.failed_rounds += 1
            self.retry_at = now + dt.timedelta(seconds=wait)
        else:
            self.failed_rounds = 0
            self.retry_at = None
        return {"sent": sent, "failed": failed}
