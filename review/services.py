"""Writes of the after-action review: reviewer notes.

A note is an opinion about the record, not part of it: it is stored beside the log
(``ReviewerNote``) and never written into it, so the log's hash chain stays the record of
what happened and nothing else.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from review.models import ReviewerNote

#: The longest note, in characters.
NOTE_MAX_CHARS = 5000


@transaction.atomic
def add_reviewer_note(*, event, author, body: str) -> ReviewerNote:
    """``author`` (a reviewer or city staff) writes a lesson learned about a concluded
    demonstration. Raises ``PermissionDenied`` for anyone else or before the demonstration
    is concluded, ``ValidationError`` for an empty or too long note."""
    if not author.has_perm("review.add_reviewer_note", event):
        raise PermissionDenied(_("Reviewers and city staff write notes on concluded "
                                 "demonstrations only."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write the note first.")]})
    if len(body) > NOTE_MAX_CHARS:
        raise ValidationError({"body": [_("A note may have at most %(max)s characters "
                                          "(this one has %(count)s).")
                                        % {"max": NOTE_MAX_CHARS, "count": len(body)}]})
    return ReviewerNote.objects.create(event=event, author=author, body=body)
