from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """The organisers' page "What Parley records about your event" (top layer)."""

    name = "privacy"
    verbose_name = _("What Parley records about your event")
