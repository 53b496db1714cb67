from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The public page and its feeds, for everyone without a login (top layer)."""

    name = "public"
    verbose_name = _("Public page")
