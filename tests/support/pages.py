"""A demonstration's page as a person sees it, and the configuration its scripts read."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from tests.support.accounts import log_in


def page_of(client, user, event) -> str:
    """The HTML of ``event``'s page as ``user`` (logged in on ``client``) gets it."""
    log_in(client, user)
    response = client.get(reverse("events:detail", args=[event.pk]))
    assert response.status_code == 200
    return response.content.decode()


def panel_config(page: str) -> dict | None:
    """The live channel panel's configuration, or None when the page has no panel."""
    match = re.search(r'<script id="channel-config" type="application/json">(.*?)</script>',
                      page, re.S)
    return json.loads(match.group(1)) if match else None


def map_config(page: str) -> dict:
    """The zone map's configuration (the page must have a map)."""
    match = re.search(r'<script id="zone-map-config" type="application/json">(.*?)</script>',
                      page, re.S)
    assert match, "the page has no zone map configuration"
    return json.loads(match.group(1))
