"""Zones on the map, their versions and the parties' agreements to each version.

A ``Zone`` holds what is current (so that maps and clash checks query one table with one
spatial index); every version of it, the current one included, is kept as a ``ZoneVersion``
that is never changed afterwards, and agreements belong to a version.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coordination.parties import Role

#: The parties whose agreement makes a zone of an event ``agreed``.
EVENT_PARTIES = (Role.ORGANISER, Role.POLICE, Role.CITY)
#: A city-wide zone is the city's alone to decide.
CITYWIDE_PARTIES = (Role.CITY,)


class Zone(models.Model):
    """An area on the map: of one demonstration, or city-wide (a sensitive site)."""

    class Kind(models.TextChoices):
        ASSEMBLY = "assembly", _("Assembly area")
        ROUTE_CORRIDOR = "route_corridor", _("Route corridor")
        BUFFER = "buffer", _("Buffer zone")
        RESTRICTED = "restricted", _("Restricted area")
        FIRST_AID = "first_aid", _("First aid")
        PRESS = "press", _("Press area")
        ACCESSIBLE_VIEWING = "accessible_viewing", _("Accessible viewing area")
        POLICE_STAGING = "police_staging", _("Police staging area")
        DISPERSAL = "dispersal", _("Dispersal area")
        SENSITIVE_SITE = "sensitive_site", _("Sensitive site")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AGREED = "agreed", _("Agreed")
        SUPERSEDED = "superseded", _("Superseded")  # only ever an old version's status
        WITHDRAWN = "withdrawn", _("Withdrawn")

    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="zones",
        verbose_name=_("demonstration"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=200, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    # Polygon or MultiPolygon, the positions kept as given; the services wind the rings as
    # RFC 7946 asks (outlines counter-clockwise, holes clockwise) on the way in.
    geometry = models.GeometryField(_("geometry"), srid=4326)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    version = models.PositiveIntegerField(_("current version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        indexes = [models.Index(fields=["valid_from", "valid_to"], name="zone_validity")]
        constraints = [
            # Sensitive sites are the city-wide layer, and the city-wide layer is sensitive
            # sites: clash checks rely on it.
            models.CheckConstraint(
                condition=(Q(event__isnull=True) & Q(kind="sensitive_site"))
                | (Q(event__isnull=False) & ~Q(kind="sensitive_site")),
                name="zone_citywide_iff_sensitive_site",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="zone_valid_to_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}".strip() + f" (v{self.version})"

    @property
    def is_citywide(self) -> bool:
        """A standing city-wide zone, belonging to no demonstration."""
        return self.event_id is None

    @property
    def parties(self) -> tuple[str, ...]:
        """The parties that must all agree the current version."""
        return CITYWIDE_PARTIES if self.is_citywide else EVENT_PARTIES


class ZoneVersion(models.Model):
    """One version of a zone as it was proposed; never changed once written."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="versions",
                             verbose_name=_("zone"))
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=24, choices=Zone.Kind.choices)
    conditions = models.TextField(_("conditions"), blank=True)
    geometry = models.GeometryField(_("geometry"), srid=4326)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)

    class Meta:
        ordering = ["zone", "number"]
        verbose_name = _("zone version")
        verbose_name_plural = _("zone versions")
        constraints = [
            models.UniqueConstraint(fields=["zone", "number"], name="zone_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} v{self.number}"


class ZoneAgreement(models.Model):
    """One party's agreement to one version of a zone, given by one of its people."""

    version = models.ForeignKey(ZoneVersion, on_delete=models.PROTECT,
                                related_name="agreements", verbose_name=_("version"))
    # The zone too, so that a zone's agreements are read in one query.
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="agreements",
                             verbose_name=_("zone"))
    party = models.CharField(_("party"), max_length=16, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("agreed by"))
    at = models.DateTimeField(_("agreed at"), auto_now_add=True)

    class Meta:
        ordering = ["version", "at", "pk"]
        verbose_name = _("zone agreement")
        verbose_name_plural = _("zone agreements")
        constraints = [
            models.UniqueConstraint(fields=["version", "party"],
                                    name="one_agreement_per_party_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.party} agreed {self.version}"


class Incident(models.Model):
    """Something that happened during a demonstration, reported on its map by police or
    city staff. ``happened_at`` is when it happened (as the reporter says); ``recorded_at``
    is when Parley stored it: the after-action review shows both where they differ."""

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="incidents", verbose_name=_("event"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("reported by"))
    happened_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    location = models.PointField(_("place"), srid=4326)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.CharField(_("description"), max_length=500)

    class Meta:
        ordering = ["event", "happened_at", "pk"]
        indexes = [models.Index(fields=["event", "happened_at"])]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return f"{self.event_id}: {self.get_severity_display()} — {self.description[:40]}"
