from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PushConfig(AppConfig):
    """Web Push to members' phones (top layer: reads across messaging, zones and events)."""

    name = "push"
    verbose_name = _("Web Push")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from coordination.accounts.access import revoking_access

        # A phone whose session ended must not keep receiving pushes (nor acknowledge from
        # one): the subscriptions made in that session go with it, and those made with API
        # tokens (a logout revokes them all); any other revocation of a person's access
        # (deactivation, password change) takes all of theirs, in its transaction.
        user_logged_out.connect(_forget_session, dispatch_uid="push.forget_session")
        revoking_access.connect(_forget_person, dispatch_uid="push.forget_person")


def _forget_session(sender, *, request, user, **kwargs) -> None:
    from push.services import forget_session

    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        forget_session(user=user, session_key=session_key)


def _forget_person(sender, *, user, reason=None, **kwargs) -> None:
    from coordination.accounts.access import Reason
    from push.services import forget_person, forget_tokens

    if reason == Reason.LOGOUT:
        # Logging out on one device ends that session (``_forget_session``) and every API
        # token, not the person's other browser sessions: their phones keep notifying.
        forget_tokens(user=user)
    else:
        forget_person(user=user)
