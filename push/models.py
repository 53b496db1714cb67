"""Web Push: the phones (browsers) that asked to be told, and what is pushed to each.

A ``PushDelivery`` is one push to one subscription about one thing (an alert, a zone version,
a change of state); its ``key`` is unique per subscription, so that however many notifier
rounds or processes see the same thing, it is pushed once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PushSubscription(models.Model):
    """A browser's push subscription (W3C Push API): where to send, and its keys; for one
    demonstration, or for all of the person's. A browser has one endpoint, which may follow
    several demonstrations (one row each)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="push_subscriptions", verbose_name=_("person"))
    endpoint = models.URLField(_("endpoint"), max_length=1000, db_index=True)
    p256dh = models.CharField(_("public key"), max_length=100)
    auth = models.CharField(_("authentication secret"), max_length=50)
    #: Only this demonstration's pushes; every demonstration of the person's when empty.
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("demonstration"))
    #: The login it was made in (a session, or an API token): pushes stop when it ends.
    session_key = models.CharField(_("session"), max_length=40, blank=True, db_index=True)
    token_key = models.CharField(_("API token"), max_length=25, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_success_at = models.DateTimeField(_("last delivered at"), null=True, blank=True)

    class Meta:
        # One browser (endpoint) follows each demonstration once, and "all of mine" once.
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"],
                                    name="push_subscription_once_per_event"),
            models.UniqueConstraint(fields=["endpoint"], condition=models.Q(event__isnull=True),
                                    name="push_subscription_once_for_all"),
        ]
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.endpoint[:60]}"

    def as_subscription_info(self) -> dict:
        """As pywebpush (and the Push API's ``toJSON()``) spells it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushDelivery(models.Model):
    """One push to one subscription, composed in its reader's language; kept once sent, so
    that it is never composed again (``key``)."""

    subscription = models.ForeignKey(PushSubscription, on_delete=models.CASCADE,
                                     related_name="deliveries",
                                     verbose_name=_("push subscription"))
    key = models.CharField(_("key"), max_length=100)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    expires_at = models.DateTimeField(_("expires at"))
    #: Which notifier round is sending it, until when: two notifiers never send one push.
    claim = models.CharField(_("claim"), max_length=32, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"],
                                    name="push_delivery_once_per_thing"),
        ]
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"],
                                name="push_delivery_due")]
        verbose_name = _("push")
        verbose_name_plural = _("pushes")

    def __str__(self) -> str:
        return f"{self.key} → {self.subscription_id}"


class PushCursor(models.Model):
    """How far the log has been read for things to push: every entry up to ``last_id`` was
    composed (one row, ``name="log"``)."""

    name = models.CharField(max_length=20, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("push cursor")

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"


class PushScanned(models.Model):
    """A log entry after the cursor that was already composed (entries may commit out of id
    order, so the cursor trails by a few seconds and these say what was done meanwhile)."""

    entry_id = models.BigIntegerField(unique=True)

    class Meta:
        verbose_name = _("composed log entry")

    def __str__(self) -> str:
        return str(self.entry_id)
