"""The VAPID key pair (RFC 8292) that identifies this server to the push services.

One private key, from ``PARLEY_VAPID_PRIVATE_KEY`` (PEM, or the raw private number in
base64url) or else from the file ``make run`` generated once (``manage.py vapid_keys``).
Browsers subscribe with its public key; every push is signed with it. Without a key, push is
off: nothing is composed and ``/api/v1/push/public-key/`` answers 503.
"""

from __future__ import annotations

import base64
import functools
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02

#: A signed VAPID header is reused for this long per push service (the JWT says 12 h):
#: signing once per origin, not once per push.
HEADER_REUSE_SECONDS = 3600
JWT_LIFETIME_SECONDS = 12 * 3600


def b64url(data: bytes) -> str:
    """base64url without padding, as the Push API and VAPID spell keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """The bytes of a base64url text, padding optional; ValueError if it is not one."""
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_pem() -> bytes:
    """A new P-256 private key, as PEM (PKCS#8)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _configured_text() -> str:
    if settings.PARLEY_VAPID_PRIVATE_KEY.strip():
        return settings.PARLEY_VAPID_PRIVATE_KEY.strip()
    path = Path(settings.PARLEY_VAPID_PRIVATE_KEY_FILE)
    if settings.PARLEY_VAPID_PRIVATE_KEY_FILE and path.is_file():
        return path.read_text().strip()
    return ""


@functools.cache
def _vapid(text: str) -> Vapid02 | None:
    if not text:
        return None
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    return Vapid02.from_string(text)


def vapid() -> Vapid02 | None:
    """The configured key, or None when push is off."""
    return _vapid(_configured_text())


def push_enabled() -> bool:
    """True when a VAPID key is configured."""
    return vapid() is not None


def public_key() -> str | None:
    """The application server key browsers subscribe with: the uncompressed P-256 point,
    base64url."""
    key = vapid()
    if key is None:
        return None
    return b64url(key.public_key.public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint))


_headers: dict[tuple[str, str], tuple[float, dict]] = {}
_headers_lock = threading.Lock()


def vapid_headers(endpoint: str) -> dict[str, str]:
    """The ``Authorization: vapid t=…,k=…`` header for a push to ``endpoint``: a JWT for its
    origin (``aud``), expiring in 12 h, naming ``PARLEY_VAPID_SUBJECT``; reused for an hour."""
    key = vapid()
    if key is None:
        raise RuntimeError("Web Push is off: no VAPID key is configured.")
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    now = time.time()
    cache_key = (audience, public_key() or "")
    with _headers_lock:
        cached = _headers.get(cache_key)
        if cached and cached[0] > now:
            return dict(cached[1])
    headers = key.sign({"aud": audience, "sub": settings.PARLEY_VAPID_SUBJECT,
                        "exp": int(now) + JWT_LIFETIME_SECONDS})
    with _headers_lock:
        _headers[cache_key] = (now + HEADER_REUSE_SECONDS, headers)
    return dict(headers)
