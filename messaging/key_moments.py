"""Key moments: city staff mark a message as one (with an optional short note), and can
unmark it. Each mark and unmark is logged in the same transaction and announced, after
commit, to the message's own channel (an officials message only to the officials), as a
``key_moment`` frame. Key moments head the after-action timeline.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.broadcast import broadcast_on_commit
from coordination.log import lock_for_log, record
from coordination.log.kinds import LogKind
from events.models import Event
from messaging.models import Channel, KeyMoment, Message

NOTE_MAX_CHARS = 300


def get_message_for(user, pk) -> Message:
    """The message, if ``user`` may read it; otherwise 404, exactly as if it did not exist."""
    try:
        message = Message.objects.select_related("channel__event", "sender").get(pk=int(pk))
    except (Message.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such message.")) from None
    if not (user.has_perm("events.view_event", message.channel.event)
            and user.has_perm("messaging.read_channel", message.channel)):
        raise Http404(_("No such message."))
    return message


def check_can_mark(*, message: Message, user) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may mark or unmark ``message``."""
    if not user.has_perm("messaging.mark_key_moment", message):
        raise PermissionDenied(_("Only city staff mark key moments."))


def _clean_note(note) -> str:
    if not isinstance(note, str):
        raise ValidationError({"note": [_("The note is text.")]})
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError({"note": [_("A note may have at most %(max)s characters.")
                                        % {"max": NOTE_MAX_CHARS}]})
    return note


def key_moment_frame(message: Message, *, marked: bool, note: str = "") -> dict:
    """The ``key_moment`` frame of the live channel."""
    return {"type": "key_moment", "message_id": message.pk, "marked": marked, "note": note}


def _log_data(message: Message, note: str) -> dict:
    return {"message_id": message.pk, "channel": message.channel.name, "seq": message.seq,
            "note": note}


def _announce(message: Message, *, marked: bool, note: str) -> None:
    broadcast_on_commit(message.channel.event_id,
                        key_moment_frame(message, marked=marked, note=note),
                        officials=message.channel.name == Channel.Name.OFFICIALS)


@transaction.atomic
def mark_key_moment(*, message: Message, user, note: str = "") -> tuple[KeyMoment, bool]:
    """Mark ``message`` as a key moment; returns ``(key moment, changed)``.

    Marking it again with the same note changes nothing; with another note, the note is
    replaced (and that is logged too).
    """
    check_can_mark(message=message, user=user)
    note = _clean_note(note)
    event = lock_for_log(Event, message.channel.event_id)
    existing = KeyMoment.objects.filter(message=message).first()
    if existing is not None and existing.note == note:
        return existing, False
    if existing is None:
        key_moment = KeyMoment.objects.create(message=message, marked_by=user,
                                              marked_at=timezone.now(), note=note)
    else:
        key_moment = existing
        key_moment.note, key_moment.marked_by = note, user
        key_moment.marked_at = timezone.now()
        key_moment.save(update_fields=["note", "marked_by", "marked_at"])
    record(event, actor=user, kind=LogKind.MESSAGE_KEY_MOMENT_MARKED, locked=True,
           data=_log_data(message, note))
    _announce(message, marked=True, note=note)
    return key_moment, True


@transaction.atomic
def unmark_key_moment(*, message: Message, user) -> bool:
    """Unmark ``message``; returns whether it was marked. Unmarking a message that is not
    marked changes nothing."""
    check_can_mark(message=message, user=user)
    event = lock_for_log(Event, message.channel.event_id)
    existing = KeyMoment.objects.filter(message=message).first()
    if existing is None:
        return False
    note = existing.note
    existing.delete()
    record(event, actor=user, kind=LogKind.MESSAGE_KEY_MOMENT_UNMARKED, locked=True,
           data=_log_data(message, note))
    _announce(message, marked=False, note="")
    return True
