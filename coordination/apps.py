from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from coordination import broadcast
        from coordination.accounts import (
            access,
            security_log,  # noqa: F401  (connects the login signals)
        )
        from coordination.log.guard import register_sqlite_function

        access.connect()  # the moments that revoke a person's API tokens
        # ... and that close the person's open connections (live channels, desks) at once.
        access.access_revoked.connect(broadcast.announce_access_revoked,
                                      dispatch_uid="parley.broadcast.access_revoked")
        # The SQLite trigger that keeps the log append-only asks this function.
        connection_created.connect(register_sqlite_function,
                                   dispatch_uid="coordination.log.guard")
