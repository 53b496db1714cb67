"""``manage.py vapid_keys [--write PATH]``: make the VAPID key pair Web Push signs with.

With ``--write``, writes a new private key (PEM) to PATH unless a file is already there —
``make run`` calls it each time, and it makes the key once. Without, prints a new private key
(base64url, for ``PARLEY_VAPID_PRIVATE_KEY``) and its public key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand

from push.keys import b64url, generate_private_pem


class Command(BaseCommand):
    help = "Generate the VAPID key pair for Web Push (once, with --write PATH)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--write", metavar="PATH",
                            help="Write the private key (PEM) here, unless the file exists.")

    def handle(self, *args, **options) -> None:
        if options["write"]:
            path = Path(options["write"])
            if path.exists():
                self.stdout.write(f"{path} exists: kept")
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            # Readable by its owner only: whoever holds it can push as this server.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(generate_private_pem())
            self.stdout.write(f"wrote a new VAPID private key to {path}")
            return
        key = serialization.load_pem_private_key(generate_private_pem(), password=None)
        number = key.private_numbers().private_value.to_bytes(32, "big")
        point = key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
        self.stdout.write(f"PARLEY_VAPID_PRIVATE_KEY={b64url(number)}")
        self.stdout.write(f"# public key (application server key): {b64url(point)}")
