"""Planned demonstrations, their review workflow and their members."""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coordination.languages import unknown_languages
from coordination.parties import Role

#: The longest free text of a registration (description, accessibility needs), in characters:
#: a few pages, far more than any registration needs, far less than a pasted book.
LONG_TEXT_MAX_CHARS = 10_000
long_text_validator = MaxLengthValidator(
    LONG_TEXT_MAX_CHARS,
    message=_("This text may have at most %(limit_value)s characters; it has %(show_value)s."),
)


class Event(models.Model):
    """A planned demonstration, from registration to conclusion."""

    class Kind(models.TextChoices):
        STATIC = "static", _("Static demonstration")
        MARCH = "march", _("March")
        VIGIL = "vigil", _("Vigil")
        COUNTER = "counter", _("Counter-demonstration")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        AGREED = "agreed", _("Agreed")
        LIVE = "live", _("Live")
        CONCLUDED = "concluded", _("Concluded")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STATIC)
    counter_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="counter_events",
        verbose_name=_("counter-demonstration to"),
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True,
                                   validators=[long_text_validator])
    expected_attendance = models.PositiveIntegerField(_("expected attendance"))
    stewards = models.PositiveIntegerField(_("stewards"), default=0)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    assembly_point = models.PointField(_("assembly point"), srid=4326)
    #: What people call the place ("the steps of City Hall"): shown instead of coordinates.
    assembly_point_name = models.CharField(_("name of the assembly point"), max_length=200,
                                           blank=True)
    route = models.LineStringField(_("route"), srid=4326, null=True, blank=True)
    dispersal_point = models.PointField(_("dispersal point"), srid=4326, null=True, blank=True)
    dispersal_point_name = models.CharField(_("name of the dispersal point"), max_length=200,
                                            blank=True)
    amplified_sound = models.BooleanField(_("amplified sound"), default=False)
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True,
                                           validators=[long_text_validator])
    languages = models.JSONField(_("languages"), default=list, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=64, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    public = models.BooleanField(
        _("list on the public page once agreed"), default=True
    )
    #: The public page never shows the description unless the organisers chose this.
    publish_description = models.BooleanField(
        _("publish the description on the public page"), default=False
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.DRAFT, editable=False
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organised_events",
        editable=False, verbose_name=_("organiser"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="EventMembership", through_fields=("event", "user"),
        related_name="events",
        verbose_name=_("members"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("demonstration")
        verbose_name_plural = _("demonstrations")
        indexes = [
            models.Index(fields=["state", "starts_at"]),
            # Clash checks ask for events whose window overlaps another's (ends_at > start and
            # starts_at < end); past events, the bulk of the table in time, end before it.
            models.Index(fields=["ends_at", "starts_at"], name="event_time_window"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])

    def clean(self) -> None:
        """Rules every demonstration obeys, whoever writes it."""
        errors: dict[str, list] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.setdefault("ends_at", []).append(_("The end must be after the start."))
        if self.expected_attendance is not None and self.expected_attendance <= 0:
            errors.setdefault("expected_attendance", []).append(
                _("Expected attendance must be at least 1.")
            )
        if self.kind == self.Kind.MARCH and not self.route:
            errors.setdefault("route", []).append(_("A march needs a route."))
        if self.kind == self.Kind.COUNTER and not self.counter_to_id:
            errors.setdefault("counter_to", []).append(
                _("A counter-demonstration names the demonstration it answers.")
            )
        if self.kind != self.Kind.COUNTER and self.counter_to_id:
            errors.setdefault("counter_to", []).append(
                _("Only a counter-demonstration answers another demonstration.")
            )
        if self.counter_to_id and self.pk and self.counter_to_id == self.pk:
            errors.setdefault("counter_to", []).append(
                _("A demonstration cannot answer itself.")
            )
        for field in ("assembly_point", "route", "dispersal_point"):
            problem = geometry_problem(getattr(self, field))
            if problem:
                errors.setdefault(field, []).append(problem)
        if not isinstance(self.languages, list):
            errors.setdefault("languages", []).append(
                _('Languages are a list of language codes, such as ["en", "fr"].')
            )
        elif unknown := unknown_languages(self.languages):
            errors.setdefault("languages", []).append(
                _("Parley does not know these languages: %(codes)s. Choose from its list "
                  "of language codes.") % {"codes": ", ".join(unknown)}
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_open_for_changes(self) -> bool:
        """Organisers may edit the registration only while it is a draft or sent back."""
        return self.state in (self.State.DRAFT, self.State.CHANGES_REQUESTED)


def geometry_problem(geometry) -> str | None:
    """Say what is wrong with a point or route, in words a person can act on; None if fine."""
    if geometry is None:
        return None
    if geometry.empty:
        return _("The shape is empty.")
    if geometry.hasz:
        return _("Give longitude and latitude only, without a height.")
    for lon, lat in geometry.coords if geometry.geom_type != "Point" else [geometry.coords]:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return _("Coordinates are out of range (longitude -180 to 180, latitude -90 to 90).")
    if geometry.geom_type == "LineString":
        if len(geometry.coords) < 2 or len(set(geometry.coords)) < 2:
            return _("A route needs at least two different points.")
        if len(geometry.coords) > 5000:
            return _("A route may have at most 5,000 points.")
    return None


class EventMembership(models.Model):
    """A person taking part in an event's coordination, with the role they hold in it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_membership_per_user"),
        ]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.event_id}"


class ReferenceCounter(models.Model):
    """The last reference number handed out in a year (``PAR-2026-0042``)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
