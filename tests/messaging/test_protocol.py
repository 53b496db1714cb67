"""The live channel's frames, read and written without a server (messaging/protocol.py):
what a client sends becomes a typed frame, or a refusal with the code the client is told.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils import translation

from coordination.errors import RateLimited
from messaging import protocol
from messaging.protocol import Ack, Ping, Refusal, Send, Subscribe

LIMIT = 64 * 1024


def read(frame) -> protocol.ClientFrame | Refusal:
    return protocol.read_frame(json.dumps(frame), max_bytes=LIMIT)


def test_it_reads_a_send_as_given_leaving_the_message_checks_to_the_service():
    client_id = str(uuid.uuid4())
    frame = read({"type": "send", "channel": "all", "kind": "alert", "body": "Move back",
                  "client_id": client_id, "reply_to": 7})
    assert frame == Send(channel="all", kind="alert", body="Move back", client_id=client_id,
                         reply_to=7, answer_to=client_id)


def test_a_send_without_kind_is_a_message():
    frame = read({"type": "send", "channel": "officials", "body": "Hi", "client_id": "c1"})
    assert isinstance(frame, Send) and frame.kind == "message" and frame.reply_to is None


def test_it_reads_subscribe_ack_and_ping():
    assert read({"type": "subscribe", "channel": "all"}) == Subscribe("all", after_seq=0)
    assert read({"type": "subscribe", "channel": "officials", "after_seq": 12}) == Subscribe(
        "officials", after_seq=12)
    assert read({"type": "ack", "message_id": 3}) == Ack(message_id=3)
    assert read({"type": "ping"}) == Ping()
    assert protocol.is_ping(read({"type": "ping"}))
    assert not protocol.is_ping(read({"type": "pong"}))


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"a string"', "", b"\xff\xfe", None])
def test_anything_but_one_json_object_is_a_bad_frame(raw):
    refusal = protocol.read_frame(raw, max_bytes=LIMIT)
    assert refusal == Refusal("bad_frame", "A frame is one JSON object.")


def test_a_frame_nested_deeper_than_json_can_read_is_a_bad_frame():
    refusal = protocol.read_frame("[" * 100_000 + "]" * 100_000, max_bytes=LIMIT)
    assert refusal.code == "bad_frame"


@pytest.mark.parametrize("frame_type", ["pong", "", None, ["send"], {"a": 1}, 3])
def test_an_unknown_type_is_a_bad_frame_answered_with_the_frames_client_id(frame_type):
    refusal = read({"type": frame_type, "client_id": "abc"})
    assert refusal == Refusal("bad_frame", "Unknown frame type. Use subscribe, send, ack or "
                                           "ping.", answer_to="abc")


@pytest.mark.parametrize("frame", [
    {"type": "send", "channel": "private", "body": "x"},
    {"type": "send", "channel": ["all"], "body": "x"},
    {"type": "send", "channel": "all", "body": "x", "reply_to": 0},
    {"type": "send", "channel": "all", "body": "x", "reply_to": "3"},
    {"type": "send", "channel": "all", "body": "x", "kind": 3},
    {"type": "subscribe", "channel": "all", "after_seq": -1},
    {"type": "subscribe", "channel": "all", "after_seq": 2**31},
    {"type": "subscribe", "channel": "all", "after_seq": True},
    {"type": "subscribe"},
    {"type": "ack", "message_id": 0},
    {"type": "ack"},
])
def test_a_field_out_of_bounds_is_invalid(frame):
    refusal = read({**frame, "client_id": 12})
    assert isinstance(refusal, Refusal) and refusal.code == "invalid"
    assert refusal.answer_to is None  # a client_id that is not a string is not echoed
    assert refusal.counted


def test_the_refusal_names_the_field_in_the_connections_language():
    with translation.override("fr"):
        refusal = read({"type": "ack", "message_id": -5})
    assert "message_id" in refusal.detail and "2147483647" in refusal.detail
    assert refusal.detail != read({"type": "ack", "message_id": -5}).detail


def test_a_frame_over_the_limit_is_kept_as_a_marker_and_refused_too_large():
    big = '{"type": "ping", "pad": "%s"}' % ("é" * LIMIT)
    raw = protocol.received(big, None, max_bytes=LIMIT)
    assert raw is protocol.TOO_LARGE
    refusal = protocol.read_frame(raw, max_bytes=LIMIT)
    assert refusal.code == "too_large" and str(LIMIT) in refusal.detail
    assert protocol.received('{"type": "ping"}', None, max_bytes=LIMIT) == '{"type": "ping"}'
    assert protocol.received(None, b"{}", max_bytes=LIMIT) == b"{}"


def test_sizes_count_bytes_not_characters():
    assert protocol.frame_size("é", None) == 2
    assert protocol.frame_size("\ud800", None) == 3  # a lone surrogate is counted, not fatal
    assert protocol.frame_size(None, b"abc") == 3
    assert protocol.frame_size(None, None) == 0


def test_what_refused_a_frame_becomes_its_error_code():
    too_long = ValidationError({"body": ValidationError("Too long", code="too_large")})
    empty = ValidationError({"body": ["Write a message."]}, code="invalid")
    assert protocol.refusal_for(too_long, "c").code == "too_large"
    assert protocol.refusal_for(empty, "c") == Refusal("invalid", "body: Write a message.", "c")
    assert protocol.refusal_for(PermissionDenied("No."), None) == Refusal("forbidden", "No.")
    assert protocol.refusal_for(PermissionDenied(), None).detail == "Not allowed."
    assert protocol.refusal_for(RateLimited("Slow down")).code == "rate_limited"
    assert protocol.refusal_for(protocol.Refused("invalid", "No such message.")) == Refusal(
        "invalid", "No such message.")


def test_a_server_fault_is_never_shown_to_the_client():
    unavailable = protocol.refusal_for(OperationalError("connection refused"), "c")
    assert unavailable.code == "unavailable" and "refused" not in unavailable.detail
    assert not unavailable.counted  # not the client's fault
    broken = protocol.refusal_for(KeyError("secret"), "c")
    assert broken == Refusal("invalid", "This frame could not be handled.", "c")
    assert not protocol.too_many_frames().counted


def test_an_error_frame_carries_the_client_id_only_when_there_is_one():
    assert protocol.error_frame(Refusal("invalid", "No.")) == {
        "type": "error", "code": "invalid", "detail": "No."}
    assert protocol.error_frame(Refusal("invalid", "No.", "c1"))["client_id"] == "c1"


def test_a_standard_instruction_is_encoded_in_the_readers_language():
    frame = {"type": "message", "body": "Move back",
             "standard_instruction": {"id": 1, "texts": {"en": "Move back",
                                                         "fr": "Reculez"}}}
    assert json.loads(protocol.encode(frame, "fr"))["body"] == "Reculez"
    assert json.loads(protocol.encode(frame, "es"))["body"] == "Move back"
    assert protocol.encode({"type": "pong"}, "fr") == '{"type": "pong"}'
    assert protocol.encode({"type": "presence", "online": ["Zoé"]}, "en").endswith('["Zoé"]}')
