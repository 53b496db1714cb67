"""Zones in the Django admin: to look things up; writes go through ``zones.services`` (the
API and the map pages), so that every change is versioned, logged and announced."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from zones.models import Incident, Zone, ZoneAgreement, ZoneVersion


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AgreementInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ZoneAgreement
    fk_name = "zone"
    extra = 0
    fields = ("version", "party", "user", "at")
    readonly_fields = fields
    ordering = ("version__number", "at")


class VersionInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = ZoneVersion
    extra = 0
    fields = ("number", "kind", "geometry", "valid_from", "valid_to", "conditions",
              "created_by", "created_at")
    readonly_fields = ("number", "kind", "valid_from", "valid_to", "conditions",
                       "created_by", "created_at")


@admin.register(Zone)
class ZoneAdmin(ReadOnlyAdminMixin, LeafletGeoAdmin):
    list_display = ("__str__", "kind", "event", "version", "status", "valid_from", "valid_to")
    list_filter = ("status", "kind", ("event", admin.EmptyFieldListFilter))
    search_fields = ("label", "event__reference", "event__title")
    list_select_related = ("event",)
    readonly_fields = ("event", "kind", "label", "conditions", "valid_from", "valid_to",
                       "version", "status", "created_by", "created_at", "updated_at",
                       "withdrawn_by", "withdrawn_at")
    inlines = [VersionInline, AgreementInline]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, LeafletGeoAdmin):
    """Read-only: an incident is in the demonstration's log, which is never changed; reports
    go through ``zones.incidents`` (the API and the event page's map)."""

    list_display = ("event", "happened_at", "recorded_at", "severity", "reported_by",
                    "description")
    list_filter = ("severity",)
    search_fields = ("description", "event__reference", "event__title")
    list_select_related = ("event", "reported_by")
    date_hierarchy = "happened_at"
    readonly_fields = ("event", "reported_by", "happened_at", "recorded_at", "severity",
                       "description")
