"""A test push service: a small local HTTP server standing in for a browser vendor's (FCM,
Mozilla autopush, Apple), to which the notifier POSTs encrypted pushes.

It records every request (path, headers, body), answers 201 unless told otherwise per
endpoint (``answer(path, 404, 410, 500, …)``: a list of statuses used in turn, the last one
kept), and a subscriber (``Subscriber``) holds a browser's keys to decrypt what it received
and check its VAPID signature.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    """One request the push service received."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float = field(default_factory=time.monotonic)


class PushService:
    """``with PushService() as service: service.endpoint("phone-1")`` → an http URL."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service._lock:
                    answers = service._answers.get(self.path, [201])
                    status = answers.pop(0) if len(answers) > 1 else answers[0]
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    service.received.append(Received(self.path, headers, body, status))
                    service._arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def answer(self, endpoint: str, *statuses: int) -> None:
        """Answer pushes to ``endpoint`` with ``statuses`` in turn (the last one stays)."""
        with self._lock:
            self._answers[urlsplit(endpoint).path] = list(statuses)

    def to(self, endpoint: str) -> list[Received]:
        path = urlsplit(endpoint).path
        with self._lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` requests arrived; all of them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} push(es) arrived, not {count}")
                self._arrived.wait(left)
            return list(self.received)


class Subscriber:
    """A browser's side of a subscription: its P-256 key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription_json(self, **extra) -> dict:
        """What ``PushSubscription.toJSON()`` gives, as the page posts it."""
        return {"endpoint": self.endpoint,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}, **extra}

    def decrypt(self, received: Received) -> dict:
        """The payload of a push, decrypted as the browser would (RFC 8291, aes128gcm)."""
        assert received.headers.get("content-encoding") == "aes128gcm"
        plain = http_ece.decrypt(received.body, private_key=self.private_key,
                                 auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def verify_vapid(received: Received, *, endpoint: str, public_key: str) -> dict:
    """Check a push's ``Authorization: vapid t=JWT,k=KEY`` header as a push service does
    (RFC 8292): ES256 signature by ``public_key``, ``aud`` the endpoint's origin, ``exp``
    within 24 hours; returns the JWT's claims."""
    scheme, _, params = received.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    assert json.loads(b64url_decode(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = b64url_decode(signature_b64)
    assert len(signature) == 64
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(fields["k"]))
    key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64url_decode(claims_b64))
    parts = urlsplit(endpoint)
    assert claims["aud"] == f"{parts.scheme}://{parts.netloc}"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    return claims
