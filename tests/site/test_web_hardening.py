"""Web hardening (docs/security.md, "Hardening"): the Content-Security-Policy on every page,
secure cookies and HSTS in production, ``check --deploy`` clean.

The browser half — every main page runs under the policy with nothing refused — is
tests/e2e/test_content_security_policy.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from config.security import tile_source, websocket_sources
from tests.deploy.test_setup import ROOT, run_manage

#: Exactly what the task of hardening names: no proxy or origin settings.
MINIMAL_PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789abcdef-xyz",
    "ALLOWED_HOSTS": "parley.example.org",
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
def test_pages_carry_a_policy_that_forbids_inline_scripts_and_framing(client):
    response = client.get("/accounts/login/")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"][0] == "'self'"
    assert policy["img-src"][:2] == ["'self'", "data:"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_map_tile_server_may_serve_images_and_nothing_else(client, settings):
    tiles = settings.LEAFLET_CONFIG["TILES"][0][1]
    policy = directives(client.get("/accounts/login/").headers["Content-Security-Policy"])
    assert tile_source(tiles) in policy["img-src"]
    assert tile_source(tiles) not in policy["script-src"] + policy["connect-src"]


def test_tile_sources_are_the_tile_servers_origins():
    assert tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") \
        == "https://tile.openstreetmap.org"
    assert tile_source("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png") \
        == "https://*.tiles.example.org:8443"
    assert tile_source("/tiles/{z}/{x}/{y}.png") is None  # this site: 'self'


def test_websocket_sources_name_the_sites_own_hosts_only():
    assert websocket_sources(["parley.example.org", ".city.example", "*"]) == [
        "wss://parley.example.org", "wss://*.city.example", "wss://city.example"]


@pytest.mark.django_db
def test_only_the_api_docs_page_may_use_inline_styles(client):
    docs = directives(client.get("/api/v1/docs/").headers["Content-Security-Policy"])
    assert "'unsafe-inline'" in docs["style-src"]
    assert docs["script-src"] == ["'self'"]  # still no inline script
    assert "<script>" not in client.get("/api/v1/docs/").content.decode()
    other = directives(client.get("/accounts/signup/").headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in other["style-src"]


def template_files() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_an_inline_script_style_or_event_handler(template):
    """The policy would refuse them: code belongs in static/, data in json_script."""
    text = template.read_text()
    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag]
    assert inline_scripts == []
    assert re.findall(r"<style\b", text) == []
    assert re.findall(r"\sstyle\s*=", text) == []
    assert re.findall(r"\son[a-z]+\s*=", text) == []


@pytest.mark.django_db
def test_maps_are_started_from_a_static_file_not_an_inline_script(client, alice):
    client.force_login(alice)
    page = client.get("/events/new/").content.decode()  # three map fields
    assert page.count("data-leaflet-map=") == 3
    assert page.count("data-leaflet-field=") == 3
    assert "js/leaflet_init.js" in page
    assert re.findall(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", page) == []


def production_settings(env: dict[str, str]) -> dict:
    names = [
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE",
        "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF",
        "CONTENT_SECURITY_POLICY",
    ]
    code = ("import json; from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))")
    result = run_manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.deploy
def test_production_cookies_are_secure_and_https_is_insisted_on():
    values = production_settings(MINIMAL_PRODUCTION_ENV)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    # The live channel's own host, for browsers whose 'self' does not cover wss:.
    connect = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["connect-src"]
    assert connect == ["'self'", "wss://parley.example.org"]
    # Only trust X-Forwarded-Proto when a proxy that sets it is said to be in front.
    assert values["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.deploy
def test_behind_nginx_the_forwarded_protocol_is_trusted_and_the_bench_can_stay_on_http():
    values = production_settings({**MINIMAL_PRODUCTION_ENV, "BEHIND_TLS_PROXY": "true",
                                  "SECURE_SSL_REDIRECT": "false", "SECURE_HSTS_SECONDS": "60"})
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False  # bench/harness.py serves plain http
    assert values["SECURE_HSTS_SECONDS"] == 60


@pytest.mark.deploy
def test_the_minimal_production_environment_passes_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env=MINIMAL_PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.deploy
def test_a_production_response_sends_hsts_and_the_policy():
    code = (
        "from django.test import Client; "
        "r = Client().get('/api/v1/auth/token/', secure=True, HTTP_HOST='parley.example.org'); "
        "print('status:', r.status_code); "
        "[print(k + ': ' + v) for k, v in r.headers.items()]"
    )
    result = run_manage("shell", "-c", code, env=MINIMAL_PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Strict-Transport-Security: max-age=31536000; includeSubDomains" in out
    # django-csp writes the directives in no fixed order: compare them one by one.
    policy = re.search(r"^Content-Security-Policy: (.*)$", out, re.M)
    assert policy, out
    assert "script-src 'self'" in [d.strip() for d in policy.group(1).split(";")], out
    assert "X-Frame-Options: DENY" in out
    plain = run_manage("shell", "-c", code.replace("secure=True", "secure=False"),
                       env=MINIMAL_PRODUCTION_ENV)
    assert "status: 301" in plain.stdout, plain.stdout + plain.stderr  # sent to https
