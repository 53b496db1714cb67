from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "zones"
    verbose_name = _("Zones")

    def ready(self) -> None:
        # Registers the OpenAPI description of a zone's geometry with drf-spectacular.
        from zones import schema  # noqa: F401
