"""Demonstrations in the Django admin: read-mostly, since writes must go through services."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from events.models import Event, EventMembership


class MembershipInline(admin.TabularInline):
    model = EventMembership
    extra = 0
    readonly_fields = ("user", "role", "added_by", "added_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(LeafletGeoAdmin):
    list_display = ("reference", "title", "kind", "state", "starts_at", "organiser")
    list_filter = ("state", "kind")
    search_fields = ("reference", "title", "organisation")
    readonly_fields = ("reference", "state", "organiser", "created_at", "updated_at")
    inlines = [MembershipInline]

    def has_add_permission(self, request) -> bool:
        # Registrations are made by organisers, so that they are logged.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
