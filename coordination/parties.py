"""The parties of Parley and the predicates that name them.

This is the bottom of the import graph: every app may use it, it uses no app.
"""

import rules
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ORGANISER = "organiser", _("Organiser")
    POLICE = "police", _("Police liaison officer")
    CITY = "city", _("City official")
    REVIEWER = "reviewer", _("Reviewer")


def _has_role(role: str):
    @rules.predicate(name=f"is_{role}")
    def predicate(user) -> bool:
        return bool(
            user is not None and user.is_authenticated and user.is_active
            and getattr(user, "role", None) == role
        )

    return predicate


is_organiser = _has_role(Role.ORGANISER)
is_police = _has_role(Role.POLICE)
is_city = _has_role(Role.CITY)
is_reviewer = _has_role(Role.REVIEWER)
is_official = is_police | is_city


def actor_of(user) -> dict | None:
    """The actor as the log and the API show it: ``{"id", "name", "role"}``, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {"id": user.pk, "name": user.display_name, "role": user.role}
