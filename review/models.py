"""Reviewer notes: lessons learned about a concluded event, kept beside its log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewerNote(models.Model):
    """A lesson learned, written by a reviewer or city staff about a concluded event. Kept
    beside the log, never inside it: notes are opinions about the record, not the record."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="reviewer_notes",
        verbose_name=_("event"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("author"),
    )
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    body = models.TextField(_("note"))

    class Meta:
        # Made in the coordination app, before the review was an app of its own: the table
        # kept its name (migrations/0001_initial.py).
        db_table = "coordination_reviewernote"
        ordering = ["event", "written_at", "pk"]
        verbose_name = _("reviewer note")
        verbose_name_plural = _("reviewer notes")

    def __str__(self) -> str:
        return f"note on {self.event_id} by {self.author_id}"
