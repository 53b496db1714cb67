"""The deployment's nginx (deploy/nginx/) in front of two real Daphne workers: WebSockets are
upgraded, requests are spread over both workers and carry nginx's request id into their
logs, and /metrics is only for those who scrape a worker directly.

Needs nginx (Debian: nginx-light) and the PostgreSQL/Redis half of ``make test``.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from email.message import Message
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from bench.harness import free_port, wait_until
from events import services as event_services
from messaging import services
from tests.support.accounts import api_token
from tests.support.liveclient import ResumingClient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]

NGINX_DIR = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
TIMEOUT = 30


class Nginx:
    """nginx with the deployment's files, its upstream pointed at the given workers."""

    def __init__(self, tmp_path: Path, workers) -> None:
        self.port = free_port()
        self.directory = tmp_path
        site = (NGINX_DIR / "parley.conf").read_text()
        site = re.sub(r"(?m)^\s*server app-\d+:8000 .*;\n", "", site)
        site = site.replace("upstream parley_app {\n", "upstream parley_app {\n" + "".join(
            f"    server 127.0.0.1:{w.port};\n" for w in workers))
        site = site.replace("listen 80 default_server;",
                            f"listen 127.0.0.1:{self.port} default_server;")
        site = site.replace("/etc/nginx/parley/", f"{tmp_path}/")
        site = site.replace("/var/log/nginx/", f"{tmp_path}/")
        (tmp_path / "parley.conf").write_text(site)
        (tmp_path / "locations.conf").write_text((NGINX_DIR / "locations.conf").read_text())
        temp = "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (tmp_path / "nginx.conf").write_text(
            f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
            f"worker_processes 1;\nevents {{}}\n"
            # nginx's workers run as nobody, who cannot write under pytest's private
            # tmp_path: request bodies stay in memory instead of a temporary file.
            f"http {{\n{temp}  client_body_buffer_size 8m;\n"
            f"  include {tmp_path}/parley.conf;\n}}\n"
        )
        self.command = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                        "-e", str(tmp_path / "error.log")]
        self.process: subprocess.Popen | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until(lambda: get(f"{self.http}/nginx-health")[0] == 200, timeout=20,
                   what="nginx")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    """Status, headers (names in any case) and body."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def scrape(worker) -> dict[str, float]:
    status, _, body = get(f"{worker.http}/metrics")
    assert status == 200
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def open_connections(workers) -> float:
    return sum(scrape(w)["parley_websocket_connections"] for w in workers)


@pytest.fixture
def behind_nginx(start_workers, tmp_path):
    """Two workers (JSON logs) and nginx in front of them."""
    started: list[Nginx] = []

    def start():
        workers = start_workers(2, LOG_FORMAT="json")
        nginx = Nginx(tmp_path, workers)
        nginx.start()
        started.append(nginx)
        return nginx, workers

    yield start
    for nginx in started:
        nginx.stop()


def json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_requests_reach_both_workers_and_carry_nginxs_request_id_into_their_logs(behind_nginx):
    nginx, workers = behind_nginx()
    ids = set()
    for _ in range(6):
        status, headers, _ = get(f"{nginx.http}/accounts/login/")
        assert status == 200
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
        ids.add(headers["X-Request-ID"])
    assert len(ids) == 6

    def logged_by_each_worker() -> bool:
        return all(
            any(line.get("logger") == "parley.request" and line.get("request_id") in ids
                for line in json_lines(w.log_path))
            for w in workers
        )

    wait_until(logged_by_each_worker, timeout=TIMEOUT, what="the workers' request log lines")
    # nginx's access log has the same ids (written once each request is done, which may
    # come after its answer reached us).
    wait_until(lambda: all(request_id in (nginx.directory / "access.log").read_text()
                           for request_id in ids),
               timeout=TIMEOUT, what="nginx's access log lines")


def test_metrics_are_read_from_each_worker_never_through_nginx(behind_nginx):
    nginx, workers = behind_nginx()
    for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}):
        status, _, body = get(f"{nginx.http}/metrics", **headers)
        assert status == 404 and b"parley_" not in body
        status, _, body = get(f"{nginx.http}/metrics/", **headers)
        assert status == 404 and b"parley_" not in body
    for worker in workers:
        assert "parley_messages_stored_total" in scrape(worker)
        # Directly, but claiming to come through a proxy: not by address.
        status, _, _ = get(f"{worker.http}/metrics", **{"X-Forwarded-For": "127.0.0.1"})
        assert status == 404


async def test_a_websocket_through_nginx_is_upgraded_and_counted_while_open(
    behind_nginx, alices_event, carol, bob
):
    await sync_to_async(event_services.transition_event)(alices_event, to="under_review",
                                                         actor=carol)
    event = await sync_to_async(event_services.transition_event)(alices_event, to="agreed",
                                                                 actor=carol)
    nginx, workers = await sync_to_async(behind_nginx)()

    async def ticket() -> str:
        user = await sync_to_async(get_user_model().objects.get)(username="alice")
        return (await sync_to_async(services.issue_ticket)(user=user))[0]

    alice = ResumingClient(nginx.ws, event.pk, ticket, name="alice")
    alice.start()
    await asyncio.wait_for(alice.subscribed.wait(), TIMEOUT)
    assert await sync_to_async(open_connections)(workers) == 1

    token = await sync_to_async(api_token)(bob)

    def post() -> int:
        request = urllib.request.Request(
            f"{nginx.http}/api/v1/events/{event.pk}/messages/",
            data=json.dumps({"channel": "all", "kind": "message", "body": "through nginx",
                             "client_id": str(uuid.uuid4())}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    for _ in range(2):  # round robin: one of them lands on the other worker
        assert await sync_to_async(post)() == 201
    await alice.wait_for(lambda c: len(c.seqs) >= 2, TIMEOUT)
    assert alice.seqs == [1, 2]
    await alice.stop()
    await sync_to_async(wait_until)(lambda: open_connections(workers) == 0, timeout=10,
                                    what="the connection counted as closed")


def post(url: str, body: bytes, content_type: str = "application/json"):
    """Status, headers and body of a POST."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_body_too_large_for_nginx_or_django_is_a_json_413_under_the_api(behind_nginx):
    nginx, _workers = behind_nginx()
    over_nginx = b'{"username": "' + b"x" * (6 * 1024 * 1024) + b'"}'  # nginx's 5m
    over_django = b'{"username": "' + b"x" * (3 * 1024 * 1024) + b'"}'  # Django's 2.5 MB

    for body in (over_nginx, over_django):
        status, headers, content = post(f"{nginx.http}/api/v1/auth/token/", body)
        assert status == 413, (len(body), content[:200])
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(content) == {"detail": "The request is too large."}
    # Pages keep nginx's own page.
    status, headers, _ = post(f"{nginx.http}/accounts/login/", over_nginx,
                              "application/x-www-form-urlencoded")
    assert status == 413
    assert headers["Content-Type"].startswith("text/html")
