from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The after-action review: timeline, replay, report, exports, reviewer notes (top
    layer)."""

    name = "review"
    verbose_name = _("After-action review")
