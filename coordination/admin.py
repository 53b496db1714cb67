"""The Django admin, for the city's administrators."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from knox import admin as _knox_admin  # noqa: F401  (registered first, replaced below)
from knox.models import AuthToken

from coordination.models import LogEntry, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Party"), {"fields": ("role",)}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Party"), {"fields": ("role", "email", "first_name", "last_name")}),
    )


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is never edited, not even by an administrator."""

    list_display = ("event", "seq", "at", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("event__reference", "kind")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# knox's own admin would let an administrator mint a token for anyone, even one that never
# expires; here tokens can only be looked at and revoked.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    """API tokens (only their first characters and hashes are stored): see and revoke."""

    list_display = ("token_key", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("token_key", "user__username")
    readonly_fields = ("token_key", "user", "created", "expiry")
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: AuthToken) -> None:
        self.delete_queryset(request, AuthToken.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        # Imported here, not at the top: admin modules load early, and importing the
        # security log then would connect its failed-login receiver before django-axes'
        # (which marks a locked-out request), so lockouts would be logged as bad passwords.
        from coordination.accounts.access import revoke_token

        for token in queryset.select_related("user"):
            revoke_token(token, request=request)
