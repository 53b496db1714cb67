"""Every write of the live channel: stored and logged in one transaction, announced after.

The WebSocket consumer and the HTTP fallback both call these, so a message sent either way
obeys the same rules and gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coordination.broadcast import broadcast_on_commit
from coordination.errors import RateLimited
from coordination.log import lock_for_log, record, record_many
from coordination.log.kinds import LogKind
from coordination.validators import validate_storable_text
from events.models import Event
from messaging import limits, metrics
from messaging.frames import acked_frame, language_variants, message_frames
from messaging.models import (
    REFERENCE_LANGUAGE,
    Acknowledgement,
    Channel,
    ConnectionTicket,
    Message,
    StandardInstruction,
)

logger = logging.getLogger(__name__)

# The refusals below are lazy: a channel's writer stores the sends of several connections
# in one worker thread, so each refusal is put in words by the connection it answers, in
# that connection's language (messaging/consumers.py), not in the writer's.


def get_channel(event: Event, name: str) -> Channel:
    """The event's channel called ``name``, created on first use."""
    if name not in Channel.Name.values:
        raise ValidationError({"channel": [_("Unknown channel: use “all” or “officials”.")]},
                              code="invalid")
    channel = Channel.objects.filter(event=event, name=name).first()
    if channel is None:
        try:
            with transaction.atomic():
                channel = Channel.objects.create(event=event, name=name)
        except IntegrityError:  # created by a concurrent sender: read theirs
            channel = Channel.objects.get(event=event, name=name)
    channel.event = event
    return channel


def _validate_message(*, kind: str, body, client_id, standard_instruction=None) -> uuid.UUID:
    errors: dict[str, list] = {}
    if kind not in Message.Kind.values:
        errors["kind"] = [_("Kind must be “message”, “instruction” or “alert”.")]
    if standard_instruction is not None:
        # A standard instruction brings its own texts: the message has no body of its own.
        if isinstance(standard_instruction, bool) or not isinstance(standard_instruction, int):
            errors["standard_instruction"] = [_("standard_instruction must be the id of a "
                                                "standard instruction.")]
        if kind != Message.Kind.INSTRUCTION:
            errors["kind"] = [_("A standard instruction is sent with kind “instruction”.")]
        if body not in (None, ""):
            errors["body"] = [_("A standard instruction is sent without a body.")]
    elif not isinstance(body, str) or not body.strip():
        errors["body"] = [_("Write a message.")]
    elif len(body) > settings.PARLEY_MESSAGE_MAX_CHARS:
        raise ValidationError({"body": ValidationError(
            _("A message may have at most %(max)s characters."), code="too_large",
            params={"max": settings.PARLEY_MESSAGE_MAX_CHARS},
        )})
    else:
        try:
            validate_storable_text(body)
        except ValidationError as exc:
            errors["body"] = exc.error_list
    try:
        parsed = uuid.UUID(str(client_id))
    except (TypeError, ValueError, AttributeError):
        parsed = None
        errors["client_id"] = [_("client_id must be a UUID chosen by the client.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    return parsed


@dataclass(frozen=True)
class MessageDraft:
    """What someone asks to send: checked and stored by ``send_messages()``."""

    sender: Any
    kind: str
    body: Any
    client_id: Any
    reply_to: int | None = None
    #: The id of a standard instruction to send (kind ``instruction``, no body).
    standard_instruction: Any = None


def validate_draft(draft: MessageDraft) -> None:
    """Check what can be checked of ``draft`` without the database (kind, body, client_id),
    raising ``ValidationError``: a live connection asks before the draft joins a batch, so a
    draft that cannot be stored is refused to its sender alone."""
    _validate_message(kind=draft.kind, body=draft.body, client_id=draft.client_id,
                      standard_instruction=draft.standard_instruction)


def _slow_down() -> str:
    return gettext("Slow down: at most %(n)s messages every %(s)s seconds.") % {
        "n": settings.PARLEY_RATE_LIMIT_MESSAGES, "s": settings.PARLEY_RATE_LIMIT_SECONDS}


def rate_limited() -> RateLimited:
    """The refusal of a sender over the rate limit, put in words by whoever answers."""
    return RateLimited(lazy(_slow_down, str)())


@dataclass(frozen=True)
class Stored:
    """A draft stored: ``message``, new (``created``) or the one stored before under the same
    ``client_id`` (a retry: nothing new was stored)."""

    draft: MessageDraft
    message: Message
    created: bool = True


@dataclass(frozen=True)
class Refused:
    """A draft not stored, and why: a ``ValidationError``, ``PermissionDenied`` or
    ``RateLimited`` for its sender to read, or whatever broke in storing it."""

    draft: MessageDraft
    reason: Exception


#: What became of one draft (``send_messages``).
SendResult = Stored | Refused


def send_message(
    *, event: Event, sender, channel: str | Channel, kind: str, body=None, client_id,
    reply_to=None, standard_instruction=None,
) -> tuple[Message, bool]:
    """Store a message with its channel's next ``seq`` and its log entry; announce it after
    commit. Returns ``(message, created)``: the same ``client_id`` from the same sender
    returns the first message again and stores nothing.

    ``channel`` is the channel's name, or the ``Channel`` of ``event`` if the caller holds it
    already (a live connection does). ``standard_instruction``: the id of a standard
    instruction to send instead of a body (police and city only).
    """
    draft = MessageDraft(sender=sender, kind=kind, body=body, client_id=client_id,
                         reply_to=reply_to, standard_instruction=standard_instruction)
    match send_messages(event=event, channel=channel, drafts=[draft]):
        case [Stored(message=message, created=created)]:
            return message, created
        case [Refused(reason=reason)]:
            raise reason


def send_messages(
    *, event: Event, channel: str | Channel, drafts: list[MessageDraft],
) -> list[SendResult]:
    """Store several messages for one channel, in order, in one transaction: what became of
    each draft, in the order given: ``Stored`` or ``Refused`` (the others are stored all the
    same).

    Under load, a worker gathers the sends waiting for the same channel and stores them
    here together: one lock, one commit, one read of the log's head for all of them.
    """
    room = channel if isinstance(channel, Channel) else get_channel(event, channel)
    # Retries (the same client_id again) are rare: the unique constraint finds them, and
    # only then are the drafts looked up before storing.
    try:
        try:
            return _send_batch(room, drafts, look_up_retries=False)
        except IntegrityError:
            pass
        try:
            return _send_batch(room, drafts, look_up_retries=True)
        except IntegrityError:
            # A retry raced with its original on another worker: each draft on its own.
            return [_send_one(room, draft) for draft in drafts]
    except (OperationalError, InterfaceError):
        raise  # the database itself is unavailable: every draft alike
    except Exception:
        if len(drafts) == 1:
            raise
        # Something in one draft broke the batch's transaction: several people's messages
        # must never fail together, so each is tried on its own.
        logger.exception("A batch of %s messages failed; storing them one by one",
                         len(drafts))
        return [_send_alone(room, draft) for draft in drafts]


def _send_one(room: Channel, draft: MessageDraft) -> SendResult:
    try:
        (result,) = _send_batch(room, [draft], look_up_retries=True)
        return result
    except IntegrityError as exc:
        existing = _stored(draft.sender, draft.client_id)
        return Stored(draft, existing, created=False) if existing else Refused(draft, exc)


def _send_alone(room: Channel, draft: MessageDraft) -> SendResult:
    try:
        return _send_one(room, draft)
    except Exception as exc:  # answered to this draft's sender alone
        return Refused(draft, exc)


def _stored(sender, client_id) -> Message | None:
    return Message.objects.filter(sender=sender, client_id=client_id).first()


@dataclass(frozen=True)
class _Checked:
    """A draft that passed the checks made without the database, with its client_id."""

    draft: MessageDraft
    client_id: uuid.UUID

    @property
    def key(self) -> tuple[int, uuid.UUID]:
        """What makes a retry a retry: the same sender and client_id."""
        return self.draft.sender.pk, self.client_id


def _checked(draft: MessageDraft) -> _Checked | Refused:
    try:
        return _Checked(draft, _validate_message(
            kind=draft.kind, body=draft.body, client_id=draft.client_id,
            standard_instruction=draft.standard_instruction))
    except ValidationError as exc:
        return Refused(draft, exc)


def _send_batch(room: Channel, drafts: list[MessageDraft], *, look_up_retries: bool
                ) -> list[SendResult]:
    checked = [_checked(draft) for draft in drafts]
    valid = [c for c in checked if isinstance(c, _Checked)]
    # The same client_id again (a retry): the first result stands, nothing new is stored.
    stored = {
        (m.sender_id, m.client_id): m
        for m in Message.objects.filter(
            sender__in={c.draft.sender.pk for c in valid},
            client_id__in={c.client_id for c in valid},
        )
    } if valid and look_up_retries else {}
    replies = _replies_in(room, {c.draft.reply_to for c in valid} - {None})
    instructions = _instructions_in({c.draft.standard_instruction for c in valid} - {None})
    recent = _recent_counts({c.draft.sender.pk for c in valid})
    # What becomes of each draft, decided in order; those to store are decided by storing.
    decided: list[SendResult | _Checked] = []
    to_store: dict[tuple[int, uuid.UUID], _Checked] = {}
    for item in checked:
        # The second of the same client_id in this batch is answered with the first (_answer).
        if isinstance(item, _Checked) and item.key not in to_store:
            verdict = _verdict(item, stored, replies, instructions, recent)
            if verdict is None:
                recent[item.draft.sender.pk] += 1
                to_store[item.key] = item
            item = verdict or item
        decided.append(item)
    outcome = dict(zip(to_store, _store_messages(room, list(to_store.values()), replies,
                                                 instructions), strict=True)) if to_store else {}
    return [_answer(item, to_store, outcome) for item in decided]


def _verdict(item: _Checked, stored: dict, replies: dict, instructions: dict,
             recent: dict) -> SendResult | None:
    """What becomes of a checked draft before storing: None if it is to be stored."""
    draft = item.draft
    if item.key in stored:
        return Stored(draft, stored[item.key], created=False)
    if draft.reply_to is not None and draft.reply_to not in replies:
        return Refused(draft, ValidationError(
            {"reply_to": [_("No such message in this channel.")]}, code="invalid"))
    if draft.standard_instruction is not None and not draft.sender.has_perm(
        "messaging.send_standard_instruction"
    ):
        return Refused(draft, PermissionDenied(_("Only police and city staff send standard "
                                                 "instructions.")))
    if draft.standard_instruction is not None and (
        draft.standard_instruction not in instructions
    ):
        return Refused(draft, ValidationError(
            {"standard_instruction": [_("No such standard instruction, or it is no longer "
                                        "in use.")]}, code="invalid"))
    if recent[draft.sender.pk] >= settings.PARLEY_RATE_LIMIT_MESSAGES:
        # A retry of a message stored before the limit was reached gets its answer.
        existing = _stored(draft.sender, item.client_id)
        return Stored(draft, existing, created=False) if existing else Refused(
            draft, rate_limited())
    return None


def _answer(item: SendResult | _Checked, to_store: dict, outcome: dict) -> SendResult:
    """What became of a draft: decided before storing, or by storing it (or, for the second
    of the same client_id, the first with nothing new created)."""
    if not isinstance(item, _Checked):
        return item
    result = outcome[item.key]
    if to_store[item.key] is item:
        return result
    match result:
        case Stored(message=message):
            return Stored(item.draft, message, created=False)
        case Refused(reason=reason):
            return Refused(item.draft, reason)


def _replies_in(room: Channel, ids: set) -> dict[int, Message]:
    ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
    if not ids:
        return {}
    return {m.pk: m for m in Message.objects.filter(pk__in=ids, channel=room)}


def _instructions_in(ids: set) -> dict[int, StandardInstruction]:
    """The active standard instructions among ``ids``, by id."""
    if not ids:
        return {}
    return {i.pk: i for i in StandardInstruction.objects.filter(pk__in=ids, active=True)}


def _recent_counts(sender_ids: set[int]) -> dict[int, int]:
    """Messages each sender has stored within the rate-limit window, counted in the
    database so that every worker process agrees, plus the frames refused to them
    (``messaging.limits``)."""
    since = timezone.now() - dt.timedelta(seconds=settings.PARLEY_RATE_LIMIT_SECONDS)
    counts = dict.fromkeys(sender_ids, 0)
    if sender_ids:
        counts.update(
            Message.objects.filter(sender__in=sender_ids, sent_at__gte=since)
            .values_list("sender").annotate(n=Count("pk")).values_list("sender", "n")
        )
    # Frames refused to them count too: a flood of bad frames is throttled like good ones.
    return {sender: n + limits.refusals(sender) for sender, n in counts.items()}


@transaction.atomic
def _store_messages(room: Channel, drafts: list[_Checked], replies: dict[int, Message],
                    instructions: dict[int, StandardInstruction] | None = None,
                    ) -> list[SendResult]:
    # The event's row first, locked as for its log: the writes of one event go one after
    # another, and the permission is asked on the event as it is now, so a message is never
    # stored in a channel its sender has just been removed from, or that has just closed.
    # Then the channel's row, to number the messages. Nothing takes them in the other order.
    room.event = lock_for_log(Event, room.event_id, fields=["state"])
    # Whether each sender is still active, as the database says now: a connection holds the
    # person as they were when it opened.
    active = set(get_user_model().objects.filter(
        pk__in={c.draft.sender.pk for c in drafts}, is_active=True,
    ).values_list("pk", flat=True))
    refusals: dict[int, PermissionDenied | None] = {}
    for sender in (c.draft.sender for c in drafts):
        if sender.pk not in refusals:
            refusals[sender.pk] = (
                _refusal(sender, room) if sender.pk in active
                else PermissionDenied(_("You cannot write in this channel.")))
    accepted = [c for c in drafts if refusals[c.draft.sender.pk] is None]
    messages: list[Message] = []
    if accepted:
        last_seq = room.take_next_seqs(len(accepted))
        now = timezone.now()
        messages = [
            _new_message(room, seq=last_seq - len(accepted) + n, draft=c.draft,
                         client_id=c.client_id, reply_to=replies.get(c.draft.reply_to),
                         instruction=(instructions or {}).get(c.draft.standard_instruction),
                         sent_at=now)
            for n, c in enumerate(accepted, start=1)
        ]
        Message.objects.bulk_create(messages)
        transaction.on_commit(partial(metrics.message_stored, len(messages)))
        record_many(room.event, [(m.sender, LogKind.MESSAGE_SENT, _log_data(m)) for m in messages],
                    locked=True)
        for frame in message_frames(messages, new=True):
            broadcast_on_commit(room.event_id, frame,
                                officials=room.name == Channel.Name.OFFICIALS,
                                variants=language_variants(frame))
    stored = iter(messages)
    return [Refused(c.draft, refusal) if (refusal := refusals[c.draft.sender.pk])
            else Stored(c.draft, next(stored)) for c in drafts]


def _new_message(room: Channel, *, seq: int, draft: MessageDraft, client_id: uuid.UUID,
                 reply_to: Message | None, instruction: StandardInstruction | None,
                 sent_at: dt.datetime) -> Message:
    message = Message(channel=room, seq=seq, sender=draft.sender, kind=draft.kind,
                      body=draft.body, client_id=client_id, reply_to=reply_to, sent_at=sent_at)
    if instruction is not None:
        # A copy of the texts as they are now: editing the instruction later leaves what was
        # sent unchanged. The body is the English text, for every reader of plain bodies.
        message.standard_instruction = instruction
        message.texts = dict(instruction.texts)
        message.body = message.texts[REFERENCE_LANGUAGE]
    return message


def _log_data(message: Message) -> dict:
    """What the log keeps of a sent message; for a standard instruction, which one and every
    text its readers were shown."""
    data = {
        "message_id": message.pk, "channel": message.channel.name, "seq": message.seq,
        "kind": message.kind, "body": message.body, "client_id": str(message.client_id),
        "reply_to": message.reply_to_id,
    }
    if message.standard_instruction_id is not None:
        data["standard_instruction"] = {
            "id": message.standard_instruction_id,
            "label": message.standard_instruction.label,
            "texts": message.texts,
        }
    return data


def _refusal(sender, room: Channel) -> PermissionDenied | None:
    if sender.has_perm("messaging.post_in_channel", room):
        return None
    if sender.has_perm("messaging.read_channel", room):
        return PermissionDenied(_("This demonstration is over: its channel is read-only."))
    return PermissionDenied(_("You cannot write in this channel."))


def acknowledge_message(message: Message, *, user) -> tuple[Acknowledgement, bool]:
    """Record that ``user`` has read an instruction or alert; idempotent."""
    if not message.needs_acknowledgement:
        raise ValidationError({"message_id": [_("Only instructions and alerts are "
                                                "acknowledged.")]}, code="invalid")
    if message.sender_id == user.pk:
        raise ValidationError({"message_id": [_("You sent this message yourself.")]},
                              code="invalid")
    if not user.has_perm("messaging.acknowledge_message", message):
        raise PermissionDenied(_("You cannot acknowledge this message."))
    existing = Acknowledgement.objects.filter(message=message, user=user).first()
    if existing is not None:
        return existing, False
    try:
        return _store_ack(message, user), True
    except IntegrityError:
        return Acknowledgement.objects.get(message=message, user=user), False


@transaction.atomic
def _store_ack(message: Message, user) -> Acknowledgement:
    event = message.channel.event
    ack = Acknowledgement.objects.create(message=message, user=user, at=timezone.now())
    record(event, actor=user, kind=LogKind.MESSAGE_ACKNOWLEDGED, data={
        "message_id": message.pk, "channel": message.channel.name, "seq": message.seq,
        "seconds_to_acknowledge": round((ack.at - message.sent_at).total_seconds(), 3),
    })
    broadcast_on_commit(event.pk, acked_frame(ack),
                        officials=message.channel.name == Channel.Name.OFFICIALS)
    return ack


def issue_ticket(*, user, token_key: str = "") -> tuple[str, dt.datetime]:
    """A single-use ticket for a non-browser WebSocket client, valid for a minute.
    ``token_key``: that of the API token it is issued to (``ConnectionTicket.token_key``)."""
    key = secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(seconds=settings.PARLEY_TICKET_SECONDS)
    ConnectionTicket.objects.create(
        key_hash=hashlib.sha256(key.encode()).hexdigest(), user=user, expires_at=expires_at,
        token_key=token_key or "",
    )
    return key, expires_at


def discard_unused_tickets(*, user) -> int:
    """Void every ticket of ``user`` not yet used (their access was taken back); how many."""
    discarded, _by_model = ConnectionTicket.objects.filter(user=user, used_at__isnull=True).delete()
    return discarded


def token_is_live(*, user, token_key: str) -> bool:
    """Whether ``user`` still has an API token with this ``token_key``, not expired."""
    from knox.models import AuthToken

    return AuthToken.objects.filter(
        Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()), user=user, token_key=token_key,
    ).exists()


@transaction.atomic
def redeem(key: str) -> ConnectionTicket | None:
    """The ticket, with its user, if it is valid and unused (and its API token, if it came
    from one, still live); it is then spent. None otherwise."""
    if not key or len(key) > 200:
        return None
    ticket = (
        ConnectionTicket.objects.select_for_update().select_related("user")
        .filter(key_hash=hashlib.sha256(key.encode()).hexdigest()).first()
    )
    now = timezone.now()
    if ticket is None or ticket.used_at is not None or ticket.expires_at <= now:
        return None
    ticket.used_at = now
    ticket.save(update_fields=["used_at"])
    if not ticket.user.is_active:
        return None
    if ticket.token_key and not token_is_live(user=ticket.user, token_key=ticket.token_key):
        return None  # issued to a token revoked since
    return ticket


@transaction.atomic
def save_standard_instruction(instruction: StandardInstruction) -> StandardInstruction:
    """Save a standard instruction (new or changed) after checking its texts. Messages that
    sent it keep the texts they were sent with."""
    instruction.full_clean()
    instruction.save()
    return instruction
