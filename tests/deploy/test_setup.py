"""A deployment that is half configured refuses to start; a documented one passes --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789abcdef",
    "ALLOWED_HOSTS": "parley.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://parley.example.org",
    "BEHIND_TLS_PROXY": "true",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr


def test_a_misspelt_time_zone_stops_the_start_and_says_what_to_set():
    result = run_manage("check", env={**PRODUCTION_ENV, "PARLEY_TIME_ZONE": "America/Colombus"})
    assert result.returncode != 0
    assert "PARLEY_TIME_ZONE='America/Colombus' is not a time zone name" in result.stderr
    assert run_manage("check", env={**PRODUCTION_ENV,
                                    "PARLEY_TIME_ZONE": "America/New_York"}).returncode == 0


def test_documented_production_environment_passes_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_when_the_benchmark_endpoint_is_on():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env={**PRODUCTION_ENV, "PARLEY_BENCH_ENDPOINTS": "true"})
    assert result.returncode != 0
    assert "parley.W001" in result.stdout + result.stderr


def test_development_default_needs_no_configuration():
    result = run_manage("check", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_healthz_reports_database_and_channel_layer_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "channel_layer": "ok"}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis")
async def test_health_checks_of_a_running_worker_leave_no_subscription_behind_in_redis():
    import redis

    from config.views import _check_channel_layer

    server = redis.Redis.from_url(os.environ["REDIS_URL"])
    before = len(server.pubsub_channels("*healthz*"))
    for _ in range(3):  # one worker, one event loop: as a load balancer probes it
        await _check_channel_layer()
    assert len(server.pubsub_channels("*healthz*")) == before


@pytest.mark.parametrize("backend", ["channels_redis.pubsub.RedisPubSubChannelLayer",
                                     "channels_redis.core.RedisChannelLayer"])
@pytest.mark.django_db
def test_healthz_answers_503_naming_the_channel_layer_when_redis_is_unreachable(
    client, settings, backend
):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": backend,
            # Nothing listens on port 1: a real connection failure, not a mock.
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["channel_layer"].startswith("error")


def test_api_docs_page_loads_its_scripts_from_this_site_not_a_cdn(client):
    import re

    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    sources = re.findall(r'src="([^"]+)"', response.content.decode())
    assert sources, "the docs page should load Redoc"
    assert all(src.startswith("/static/") for src in sources), sources
