"""Operators can follow one request or one WebSocket connection through the logs, and read
each worker's metrics (config/observability.py, config/metrics.py, messaging/metrics.py)."""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import override_settings
from prometheus_client import REGISTRY

from config.asgi import application
from config.observability import ConnectionContext, JsonFormatter, LogContextFilter
from coordination import broadcast
from messaging import metrics
from tests.support.ws import communicator, receive_until, session_cookie_for

ROOT = Path(__file__).resolve().parents[2]


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


class JsonLines:
    """A handler like the console's in production: the context filter and the JSON format."""

    def __init__(self, *logger_names: str) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(LogContextFilter())
        self.handler.setFormatter(JsonFormatter())
        self.loggers = [logging.getLogger(name) for name in logger_names]
        self.levels = [logger.level for logger in self.loggers]

    def __enter__(self) -> JsonLines:
        for logger in self.loggers:
            logger.addHandler(self.handler)
            logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> None:
        for logger, level in zip(self.loggers, self.levels, strict=True):
            logger.removeHandler(self.handler)
            logger.setLevel(level)

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


# --- Request ids -----------------------------------------------------------------------------


def test_every_response_names_its_request_id(client, db):
    response = client.get("/accounts/login/")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert client.get("/accounts/login/")["X-Request-ID"] != request_id


def test_the_request_id_from_nginx_is_kept(client, db):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="4f2a9c0e8b7d4e1fa3c5b6d7e8f90a1b")
    assert response["X-Request-ID"] == "4f2a9c0e8b7d4e1fa3c5b6d7e8f90a1b"


@pytest.mark.parametrize("forged", ["short", "x" * 200, "abc def ghij", 'a"}\n{"level":"x"'])
def test_a_malformed_request_id_is_replaced_not_logged(client, db, forged):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db(transaction=True)
async def test_request_log_lines_are_json_carrying_the_request_id(async_client):
    """As under Daphne: the request handled asynchronously, in a task of its own."""

    async def get():
        return await async_client.get("/api/v1/no-such-thing/",
                                      headers={"X-Request-ID": "req-0123456789abcdef"})

    with JsonLines("parley.request", "django.request") as log:
        await asyncio.create_task(get())
    lines = log.lines()
    # Django's own "Not Found" warning, written deep inside the request, has the id too.
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["request_id"] == "req-0123456789abcdef"
    assert not_found["level"] == "WARNING"
    summary = next(line for line in lines if line["logger"] == "parley.request")
    assert summary["request_id"] == "req-0123456789abcdef"
    assert summary["method"] == "GET"
    assert summary["path"] == "/api/v1/no-such-thing/"
    assert summary["status"] == 404
    assert summary["duration_ms"] >= 0
    assert "time" in summary and "connection_id" not in summary


def test_log_lines_outside_any_request_have_no_ids():
    with JsonLines("parley.test") as log:  # e.g. a worker starting: a context of its own
        contextvars.Context().run(logging.getLogger("parley.test").warning, "starting up")
    (line,) = log.lines()
    assert line["message"] == "starting up"
    assert "request_id" not in line and "connection_id" not in line


@pytest.mark.subprocess
def test_without_debug_the_logs_are_json_by_default():
    """The real settings, as a production worker loads them: one JSON object per line."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT")}
    env.update(DEBUG="false", SECRET_KEY="k" * 50, ALLOWED_HOSTS="parley.example.org",
               DJANGO_SETTINGS_MODULE="config.settings")
    code = ("import django, logging; django.setup(); "
            "logging.getLogger('parley.test').warning('hello %s', 'operator')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello operator"
    assert line["logger"] == "parley.test" and line["level"] == "WARNING"


# --- WebSocket connection ids ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_connection_is_logged_and_counted_while_open(alices_event):
    bob = await sync_to_async(get_user_model().objects.get)(username="bob")
    cookie = await sync_to_async(session_cookie_for)(bob)
    before = sample("parley_websocket_connections")
    opened_before = sample("parley_websocket_connections_opened_total")
    with JsonLines("parley.websocket") as log:
        ws = communicator(application, f"/ws/events/{alices_event.pk}/", cookie=cookie)
        connected, _ = await ws.connect()
        assert connected
        await ws.send_json_to({"type": "ping"})
        await receive_until(ws, "pong")
        assert sample("parley_websocket_connections") == before + 1
        await ws.disconnect()
    assert sample("parley_websocket_connections") == before
    assert sample("parley_websocket_connections_opened_total") == opened_before + 1
    opened, closed = log.lines()
    assert opened["message"] == f"WebSocket opened /ws/events/{alices_event.pk}/"
    assert closed["message"].startswith(f"WebSocket closed /ws/events/{alices_event.pk}/")
    assert len(opened["connection_id"]) == 16
    assert closed["connection_id"] == opened["connection_id"]


@pytest.mark.django_db(transaction=True)
async def test_a_refused_handshake_is_not_counted_as_open(alices_event):
    before = sample("parley_websocket_connections_opened_total")
    ws = communicator(application, f"/ws/events/{alices_event.pk}/",
                      origin=b"https://evil.example")
    connected, _ = await ws.connect()
    assert connected is False
    await ws.disconnect()
    assert sample("parley_websocket_connections_opened_total") == before


async def test_the_connection_id_reaches_tasks_and_database_threads_of_the_connection():
    """What the consumers do: start tasks, run database work in threads. Their log lines
    carry the id the middleware set, and two connections never share one."""

    async def app(scope, receive, send):
        log = logging.getLogger("parley.test")
        await send({"type": "websocket.accept"})

        async def in_a_task():
            log.warning("from a task")

        await asyncio.create_task(in_a_task())
        await sync_to_async(log.warning)("from a thread")
        await send({"type": "websocket.close", "code": 1000})

    async def serve() -> None:
        inbox: asyncio.Queue = asyncio.Queue()
        await inbox.put({"type": "websocket.connect"})

        async def send(message):
            pass

        await ConnectionContext(app)({"type": "websocket", "path": "/ws/test/"}, inbox.get,
                                     send)

    with JsonLines("parley.test", "parley.websocket") as log:
        await serve()
        await serve()
    lines = log.lines()
    first, second = lines[:4], lines[4:]
    assert [line["message"] for line in first][1:3] == ["from a task", "from a thread"]
    assert len({line["connection_id"] for line in first}) == 1
    assert len({line["connection_id"] for line in second}) == 1
    assert first[0]["connection_id"] != second[0]["connection_id"]


# --- /metrics --------------------------------------------------------------------------------

PARLEY_METRICS = [
    "parley_websocket_connections",
    "parley_messages_stored_total",
    "parley_messages_delivered_total",
    "parley_resumes_total",
    "parley_channel_layer_errors_total",
    "django_http_requests_total_by_method",
    "django_http_requests_latency_seconds_by_view_method_bucket",
    "django_db_execute_total",
]


def test_prometheus_on_the_same_machine_reads_the_metrics(client, db):
    client.get("/accounts/login/")  # at least one request and one query to count
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in PARLEY_METRICS:
        assert f"\n{name}" in text, name


def test_metrics_are_read_by_the_workers_internal_address_over_plain_http(client, db):
    """Prometheus scrapes http://app-1:8000/metrics: not an allowed host, not HTTPS."""
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["parley.example.org"]):
        response = client.get("/metrics", REMOTE_ADDR="::1", HTTP_HOST="app-1:8000")
    assert response.status_code == 200


@pytest.mark.parametrize("headers", [
    {"REMOTE_ADDR": "203.0.113.7"},
    # Through nginx Daphne takes the address from X-Forwarded-For, which clients can forge.
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},
    {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": "Bearer guess"},
])
def test_nobody_else_reads_the_metrics(client, db, headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert b"parley_" not in response.content


def test_other_methods_are_not_answered(client, db):
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@override_settings(PARLEY_METRICS_ALLOWED_IPS=["10.20.0.0/16"])
def test_a_monitoring_network_may_be_allowed(client, db):
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@override_settings(PARLEY_METRICS_TOKEN="s3cret-scrape-token-0123456789")
def test_a_bearer_token_reads_the_metrics_from_anywhere(client, db):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4",
                          HTTP_AUTHORIZATION="Bearer s3cret-scrape-token-0123456789")
    assert response.status_code == 200
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.7",
                       HTTP_AUTHORIZATION="Bearer s3cret-scrape-token-012345678")
    assert wrong.status_code == 404


def test_the_live_channels_counters_count():
    checks = [
        (metrics.message_stored, (3,), "parley_messages_stored_total", 3),
        (metrics.message_delivered, (), "parley_messages_delivered_total", 1),
        (metrics.message_delivered, (5,), "parley_messages_delivered_total", 5),
        (metrics.resumed, (), "parley_resumes_total", 1),
    ]
    for function, args, name, step in checks:
        before = sample(name)
        function(*args)
        assert sample(name) == before + step, name
    before = sample("parley_websocket_connections")
    metrics.connection_opened()
    metrics.connection_opened()
    metrics.connection_closed()
    assert sample("parley_websocket_connections") == before + 1
    metrics.connection_closed()


# --- Channel-layer errors --------------------------------------------------------------------


@pytest.fixture
def redis_that_is_down():
    """A Redis channel layer pointed at a port nobody listens on: real refusals."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    layer = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
             "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]}}
    with override_settings(CHANNEL_LAYERS={"default": layer}):
        yield


def test_a_notification_redis_refuses_is_counted(redis_that_is_down):
    before = sample("parley_channel_layer_errors_total")
    broadcast.send_now(1, {"type": "state", "state": "live"})
    assert sample("parley_channel_layer_errors_total") == before + 1


async def test_a_notification_the_server_loop_cannot_deliver_is_counted(redis_that_is_down):
    before = sample("parley_channel_layer_errors_total")
    outbox = broadcast._Outbox(asyncio.get_running_loop())
    outbox.put("event-1", {"type": "parley.notify", "frame": "state", "text": "{}"})
    outbox.put("event-1", {"type": "parley.notify", "frame": "state", "text": "{}"})
    async with asyncio.timeout(20):
        while outbox.queues:
            await asyncio.sleep(0.01)  # polls the outbox's own state, bounded by the timeout
    assert sample("parley_channel_layer_errors_total") == before + 2


def test_healthz_tells_prometheus_what_the_health_check_saw(client, db):
    client.get("/healthz")
    assert sample_of("parley_health_check_ok", part="database") == 1
    assert sample_of("parley_health_check_ok", part="channel_layer") == 1
    assert sample("parley_health_check_timestamp_seconds") > 0


def test_healthz_with_redis_down_shows_the_channel_layer_failing(client, db, redis_that_is_down):
    assert client.get("/healthz").status_code == 503
    assert sample_of("parley_health_check_ok", part="channel_layer") == 0
    assert sample_of("parley_health_check_ok", part="database") == 1


def sample_of(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)
