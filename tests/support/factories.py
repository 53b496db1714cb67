"""The people and demonstrations of the tests' stories, built as the application builds them.

The fixtures that give them names (alice, bob, carol, dave, mallory, erin, frank,
``alices_event``, ``agreed_event``, ...) are in tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString, Point
from django.utils import timezone
from rest_framework.test import APIClient

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str, **extra):
    """A user with ``PASSWORD``; ``name="First Last"`` sets the display name."""
    first, _, last = extra.pop("name", username.title()).partition(" ")
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, role=role, first_name=first, last_name=last,
        email=f"{username}@example.org", **extra,
    )


def api_client_for(user=None) -> APIClient:
    """An API client authenticated as ``user`` (anonymous with no user)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def event_fields(**overrides) -> dict:
    """Valid registration fields for a static demonstration tomorrow in Columbus."""
    starts = timezone.now() + dt.timedelta(days=1)
    fields = {
        "title": "Save the library",
        "kind": "static",
        "organisation": "Friends of the Library",
        "description": "A peaceful gathering.",
        "expected_attendance": 200,
        "stewards": 10,
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=2),
        "assembly_point": Point(-82.9988, 39.9612, srid=4326),
        "amplified_sound": False,
        "languages": ["en", "es"],
        "contact_name": "Alice Martin",
        "contact_phone": "+1 614 555 0100",
        "contact_email": "alice@example.org",
    }
    fields.update(overrides)
    return fields


def march_fields(**overrides) -> dict:
    """Valid registration fields for a march along a short route."""
    route = LineString((-82.9988, 39.9612), (-82.9990, 39.9650), (-83.0010, 39.9680), srid=4326)
    return event_fields(kind="march", title="March for the river", route=route,
                        dispersal_point=Point(-83.0010, 39.9680, srid=4326), **overrides)
