"""The live channel's records: channels, messages, acknowledgements, tickets and presence."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from coordination.parties import Role

#: The language every standard instruction must have, and the one its readers fall back to.
REFERENCE_LANGUAGE = "en"


def validate_instruction_texts(value) -> None:
    """A standard instruction's texts: ``{"en": ..., "fr": ..., "es": ...}``, English required,
    only languages Parley ships, each a non-empty text within the message limit."""
    known = [code for code, _name in settings.LANGUAGES]
    if not isinstance(value, dict):
        raise ValidationError(_("Texts are an object of language code → text."), code="invalid")
    errors = []
    for code, text in value.items():
        if code not in known:
            errors.append(ValidationError(_("Unknown language: %(code)s (use %(known)s)."),
                                          code="invalid",
                                          params={"code": code, "known": ", ".join(known)}))
        elif not isinstance(text, str) or not text.strip():
            errors.append(ValidationError(_("The %(code)s text is empty."), code="invalid",
                                          params={"code": code}))
        elif len(text) > settings.PARLEY_MESSAGE_MAX_CHARS:
            errors.append(ValidationError(
                _("The %(code)s text has more than %(max)s characters."), code="too_large",
                params={"code": code, "max": settings.PARLEY_MESSAGE_MAX_CHARS}))
    if not errors and REFERENCE_LANGUAGE not in value:
        errors.append(ValidationError(_("An English text is required."), code="invalid"))
    if errors:
        raise ValidationError(errors)


def text_in(texts: dict, language: str | None) -> str:
    """The text of ``texts`` in ``language``, else in English."""
    return texts.get(language or REFERENCE_LANGUAGE) or texts[REFERENCE_LANGUAGE]


#: Who reads each channel (besides being a member of its event): ``all`` is for the event's
#: organisers, police and city members; ``officials`` for its police and city members only.
CHANNEL_ROLES = {
    "all": {Role.ORGANISER, Role.POLICE, Role.CITY},
    "officials": {Role.POLICE, Role.CITY},
}


class Channel(models.Model):
    """One of an event's two channels; ``last_seq`` numbers its messages."""

    class Name(models.TextChoices):
        ALL = "all", _("Everyone")
        OFFICIALS = "officials", _("Officials only")

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="channels")
    name = models.CharField(_("name"), max_length=16, choices=Name.choices)
    last_seq = models.PositiveIntegerField(_("last sequence number"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="one_channel_per_name"),
        ]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return f"{self.event_id}/{self.name}"

    def take_next_seqs(self, count: int = 1) -> int:
        """Count ``count`` more messages in this channel and return the last of their
        ``seq``s, in one statement that also locks the row until the transaction ends."""
        table = connection.ops.quote_name(self._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_seq = last_seq + %s WHERE id = %s "  # noqa: S608
                "RETURNING last_seq", [count, self.pk],
            )
            (self.last_seq,) = cursor.fetchone()
        return self.last_seq


class StandardInstruction(models.Model):
    """A ready instruction kept by the city, with a text per language: sent in two clicks,
    each recipient reads it in their own language."""

    label = models.CharField(_("label"), max_length=80, unique=True,
                             help_text=_("A short name for staff, e.g. “Assembly area”."))
    texts = models.JSONField(
        _("texts"), validators=[validate_instruction_texts],
        help_text=_("One text per language code (en required; fr, es optional), e.g. "
                    "{\"en\": \"Please move to the assembly area.\", \"fr\": \"…\"}."),
    )
    active = models.BooleanField(_("active"), default=True,
                                 help_text=_("Only active instructions can be sent."))
    position = models.PositiveSmallIntegerField(_("position"), default=0,
                                                help_text=_("Lower numbers are listed first."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "label", "pk"]
        verbose_name = _("standard instruction")
        verbose_name_plural = _("standard instructions")

    def __str__(self) -> str:
        return self.label

    def text_in(self, language: str | None) -> str:
        """The text in ``language``, else in English."""
        return text_in(self.texts, language)


class Message(models.Model):
    """A message as stored: the database is the source of truth, the channel layer only
    carries notifications."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        INSTRUCTION = "instruction", _("Instruction")
        ALERT = "alert", _("Alert")

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    seq = models.PositiveIntegerField(_("sequence number"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    body = models.TextField(_("body"))
    client_id = models.UUIDField(_("client id"))
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    sent_at = models.DateTimeField(_("sent at"))
    #: A standard instruction sent as it read then: ``texts`` is a copy of its texts, so
    #: later edits never change history; ``body`` holds the English text for plain readers.
    standard_instruction = models.ForeignKey(
        StandardInstruction, null=True, blank=True, on_delete=models.PROTECT,
        related_name="messages", verbose_name=_("standard instruction"),
    )
    texts = models.JSONField(_("texts"), null=True, blank=True)

    class Meta:
        ordering = ["channel", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["sender", "client_id"], name="message_unique_client_id"
            ),
        ]
        indexes = [models.Index(fields=["sender", "sent_at"])]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.channel} #{self.seq}"

    @property
    def needs_acknowledgement(self) -> bool:
        return self.kind in (self.Kind.INSTRUCTION, self.Kind.ALERT)


class Acknowledgement(models.Model):
    """Someone confirmed they have read an instruction or alert."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("acknowledged at"))

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_ack_per_user"),
        ]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")

    def __str__(self) -> str:
        return f"{self.user_id} ack {self.message_id}"


class KeyMoment(models.Model):
    """A message that city staff marked as a key moment: key moments head the after-action
    timeline. At most one mark per message; unmarking deletes it (both are logged)."""

    message = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="key_moment",
                                   verbose_name=_("message"))
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("marked by"))
    marked_at = models.DateTimeField(_("marked at"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["message__sent_at", "pk"]
        verbose_name = _("key moment")
        verbose_name_plural = _("key moments")

    def __str__(self) -> str:
        return f"key moment {self.message_id}"


class ConnectionTicket(models.Model):
    """A single-use, short-lived credential for a non-browser WebSocket client.

    Only the SHA-256 of the ticket is stored, so a database reader cannot connect as anyone.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    #: The first characters of the API token the ticket was issued to (knox's
    #: ``token_key``), empty for one issued to a browser session. A ticket is void once its
    #: token is, and a connection it opened closes when the token is revoked.
    token_key = models.CharField(max_length=25, blank=True, default="")

    def __str__(self) -> str:
        return f"ticket of {self.user_id} until {self.expires_at:%H:%M:%S}"


class Presence(models.Model):
    """One open connection. Shared by every worker; a worker that dies stops refreshing
    ``last_seen`` and its rows are swept by the others."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connection = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} in {self.event_id}"
