from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Live channel")

    def ready(self) -> None:
        from coordination.accounts.access import revoking_access
        from messaging import checks  # noqa: F401  (registers the system checks)

        # A person whose access is taken back loses their tickets not used yet, in the same
        # transaction as their API tokens.
        revoking_access.connect(_discard_tickets, dispatch_uid="messaging.discard_tickets")


def _discard_tickets(sender, *, user, **kwargs) -> None:
    from messaging.services import discard_unused_tickets

    discard_unused_tickets(user=user)
