"""Fixtures of the Web Push stories: a VAPID key, the test push service, subscribers."""

from __future__ import annotations

import pytest

from push.keys import generate_private_pem, public_key
from tests.support.push_service import PushService


@pytest.fixture
def vapid(settings) -> str:
    """Push on: a fresh VAPID key configured as production would (PEM in the environment);
    its public key."""
    settings.PARLEY_VAPID_PRIVATE_KEY = generate_private_pem().decode()
    settings.PARLEY_VAPID_SUBJECT = "mailto:push@parley.example.org"
    return public_key()


@pytest.fixture
def push_service():
    """A local stand-in for a browser vendor's push service."""
    with PushService() as service:
        yield service
