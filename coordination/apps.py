from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from coordination.accounts import (
            access,
            security_log,  # noqa: F401  (connects the login signals)
        )
        from coordination.log.guard import register_sqlite_function

        access.connect()  # the moments that revoke a person's API tokens
        # The SQLite trigger that keeps the log append-only asks this function.
        connection_created.connect(register_sqlite_function,
                                   dispatch_uid="coordination.log.guard")
