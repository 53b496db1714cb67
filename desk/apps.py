from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The unit's desk: what police and city work from every day (top layer)."""

    name = "desk"
    verbose_name = _("Desk")

    def ready(self) -> None:
        from desk import news

        news.connect()  # the desk overhears every notification (coordination.broadcast)
