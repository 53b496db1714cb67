"""The live channel's key moments in the Django admin, to look them up only: marks and
unmarks go through ``messaging.key_moments`` (the channel panel and the API), which logs them."""

from django.contrib import admin

from messaging.models import KeyMoment, StandardInstruction


@admin.register(KeyMoment)
class KeyMomentAdmin(admin.ModelAdmin):
    list_display = ("message", "marked_by", "marked_at", "note")
    search_fields = ("note", "message__body", "message__channel__event__reference")
    list_select_related = ("message__channel", "marked_by")
    readonly_fields = ("message", "marked_by", "marked_at", "note")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StandardInstruction)
class StandardInstructionAdmin(admin.ModelAdmin):
    """City administrators keep the standard instructions here too (or on /instructions/).
    An instruction that was sent is never deleted: untick "active" instead."""

    list_display = ("label", "active", "position", "updated_at")
    list_editable = ("active", "position")
    list_filter = ("active",)
    search_fields = ("label",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.messages.exists()
