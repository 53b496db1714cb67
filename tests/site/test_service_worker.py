"""The service worker is served from the site root, so that its scope covers every page."""

import re

import pytest


@pytest.mark.django_db
def test_service_worker_is_served_from_the_site_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    parts = re.findall(r'"([^"]+)"', response.content.decode())
    assert any(part.endswith(".js") and "service_worker_offline" in part for part in parts)
    assert any(part.endswith(".js") and "service_worker_push" in part for part in parts)


@pytest.mark.django_db
def test_every_page_registers_the_service_worker(client):
    page = client.get("/accounts/login/").content.decode()
    assert "js/pwa" in page
