"""The parties (users with one role each), the append-only after-action log and the record of
notification e-mails sent once."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.languages import language_choices
from coordination.parties import Role


class User(AbstractUser):
    """A person using Parley. Every user has exactly one role."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ORGANISER)
    #: The language this person reads Parley in (pages, API, live channel, e-mails); empty:
    #: their browser's.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=language_choices
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        """The name other parties see: the full name, else the username."""
        return self.get_full_name() or self.username


class LogEntry(models.Model):
    """One entry of an event's after-action log. Never edited, never deleted.

    ``actor`` is a snapshot (``{"id", "name", "role"}``) so that renaming a user later does
    not change, and so does not break, the hash chain.
    """

    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="log_entries",
        verbose_name=_("event"),
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    at = models.DateTimeField(_("recorded at"))
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("actor"),
    )
    actor = models.JSONField(_("actor snapshot"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=64)
    data = models.JSONField(_("data"), default=dict)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        ordering = ["event", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["event", "seq"], name="log_entry_unique_seq"),
        ]
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")

    def __str__(self) -> str:
        return f"{self.event_id}#{self.seq} {self.kind}"


class EmailNotice(models.Model):
    """A notification e-mail that must go to a person at most once (e.g. about one alert),
    kept so that it is not queued again. Written in the same transaction as the queued
    e-mail itself (coordination/notifications.py)."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("recipient"),
    )
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        verbose_name = _("e-mail notice")
        verbose_name_plural = _("e-mail notices")

    def __str__(self) -> str:
        return self.key
