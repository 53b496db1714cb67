"""Frames held to Parley's AsyncAPI document (config/asyncapi.py, ``/api/v1/asyncapi.json``).

``FrameContract.for_path("/ws/events/7/")`` reads the document's channel for that address and
validates each frame by its ``type`` against the message schema the document gives for it:
client frames against the channel's ``receive`` operation, server frames against its ``send``
operation. A frame of a type the document does not list fails too. tests/support/ws.py's
communicator checks every frame the WebSocket tests send and receive this way.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

DOCUMENT_URI = "urn:parley:asyncapi"
#: Frames checked in this process, by (channel, direction, type): how much of the document the
#: suite exercised.
CHECKED: Counter = Counter()


class FrameMismatch(AssertionError):
    """A frame that the AsyncAPI document does not describe."""


def _address_pattern(address: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", address)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p)
                                    for p in parts) + "$")


@dataclass
class FrameContract:
    """The frames of one channel of the document, by direction and ``type``."""

    channel: str
    client: dict[str, Draft7Validator]
    server: dict[str, Draft7Validator]

    @classmethod
    def for_path(cls, path: str, document: dict | None = None) -> FrameContract | None:
        """The contract of the channel at ``path`` (query string ignored), or None if the
        document has no channel there."""
        if document is None:
            from config.asyncapi import document as build

            document = build(host="testserver", secure=False)
        registry = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT7))
        address = path.split("?", 1)[0]
        name = next((name for name, channel in document["channels"].items()
                     if _address_pattern(channel["address"]).match(address)), None)
        if name is None:
            return None
        by_action: dict[str, dict[str, Draft7Validator]] = {"receive": {}, "send": {}}
        for operation in document["operations"].values():
            if operation["channel"]["$ref"] != f"#/channels/{name}":
                continue
            for ref in operation["messages"]:
                key = ref["$ref"].rsplit("/", 1)[-1]
                message = document["components"]["messages"][key]
                frame_type = message["name"]
                by_action[operation["action"]][frame_type] = Draft7Validator(
                    {"$ref": f"{DOCUMENT_URI}#/components/messages/{key}/payload"},
                    registry=registry)
        return cls(name, client=by_action["receive"], server=by_action["send"])

    def check_client(self, frame) -> None:
        """``frame`` (sent by a client) is one the document describes."""
        self._check(frame, self.client, "client")

    def check_server(self, frame) -> None:
        """``frame`` (sent by the server) is one the document describes."""
        self._check(frame, self.server, "server")

    def is_client_frame(self, frame) -> bool:
        """Whether the document describes ``frame`` as a valid client frame."""
        try:
            self._check(frame, self.client, "client", count=False)
        except FrameMismatch:
            return False
        return True

    def _check(self, frame, validators: dict[str, Draft7Validator], side: str, *,
               count: bool = True) -> None:
        frame_type = frame.get("type") if isinstance(frame, dict) else None
        validator = validators.get(frame_type) if isinstance(frame_type, str) else None
        if validator is None:
            raise FrameMismatch(
                f"the AsyncAPI document's {self.channel} lists no {side} frame of type "
                f"{frame_type!r} (it has {sorted(validators)}): {_short(frame)}")
        errors = sorted(validator.iter_errors(frame), key=lambda e: list(e.absolute_path))
        if errors:
            reasons = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(frame)'}: "
                                f"{e.message[:200]}" for e in errors[:5])
            raise FrameMismatch(f"{side} frame {_short(frame)} does not match the AsyncAPI "
                                f"document's {self.channel} {frame_type!r}: {reasons}")
        if count:
            CHECKED[self.channel, side, frame_type] += 1


def _short(frame) -> str:
    text = json.dumps(frame, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:300] + "…"
