"""The AsyncAPI 3.0 document of the WebSockets (``GET /api/v1/asyncapi.json``).

It must be a valid AsyncAPI 3.0.0 document (the official JSON Schema, vendored in
tests/support/asyncapi/), name every frame the code builds or reads and every close code the
consumers use, and describe the ticket handshake as the REST API answers it. That the frames
on the wire match it is checked by every WebSocket test (tests/support/ws.py).
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from messaging.protocol import ERROR_CODES
from tests.site.test_protocol_doc import (
    accepted_frame_types,
    close_codes,
    error_codes,
    sent_frame_types,
)
from tests.support.frame_contract import FrameContract, FrameMismatch

OFFICIAL_SCHEMA = Path(__file__).resolve().parents[1] / "support" / "asyncapi" / \
    "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def asyncapi_validator() -> Draft7Validator:
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture
def served(db, api) -> dict:
    response = api().get("/api/v1/asyncapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def errors_of(validator: Draft7Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator.iter_errors(document)]


def message_names(document: dict, channel: str, action: str) -> set[str]:
    names = set()
    for operation in document["operations"].values():
        if operation["channel"]["$ref"] == f"#/channels/{channel}" \
                and operation["action"] == action:
            for ref in operation["messages"]:
                key = ref["$ref"].rsplit("/", 1)[-1]
                names.add(document["components"]["messages"][key]["name"])
    return names


def test_anyone_reads_a_valid_asyncapi_3_document(served, asyncapi_validator):
    assert served["asyncapi"] == "3.0.0"
    assert errors_of(asyncapi_validator, served) == []


def test_the_official_schema_refuses_a_document_that_is_not_asyncapi_3(served,
                                                                         asyncapi_validator):
    # Guards the test above: the vendored schema really checks the document's structure.
    broken = copy.deepcopy(served)
    broken["operations"]["sendLiveFrames"]["action"] = "publish"  # AsyncAPI 2's word
    del broken["channels"]["liveChannel"]["messages"]["live_message"]["$ref"]
    broken["channels"]["liveChannel"]["messages"]["live_message"]["payload"] = "a string"
    assert len(errors_of(asyncapi_validator, broken)) >= 2


def test_a_signed_in_caller_reads_the_same_document(served, api, carol):
    assert api(carol).get("/api/v1/asyncapi.json").json() == served


def test_the_server_is_the_one_the_client_asked(db, api):
    plain = api().get("/api/v1/asyncapi.json").json()["servers"]["parley"]
    secure = api().get("/api/v1/asyncapi.json", secure=True).json()["servers"]["parley"]
    assert plain == {**plain, "host": "testserver", "protocol": "ws"}
    assert secure["protocol"] == "wss"


def test_every_frame_the_code_sends_or_reads_is_in_the_document(served):
    # The frame types found in the source (as test_protocol_doc finds them for protocol.md),
    # against the messages of the document's two channels.
    live_in = message_names(served, "liveChannel", "receive")
    live_out = message_names(served, "liveChannel", "send")
    desk_in = message_names(served, "desk", "receive")
    desk_out = message_names(served, "desk", "send")
    assert live_in == {"subscribe", "send", "ack", "ping"}
    assert desk_in == {"ping"}
    assert accepted_frame_types() == live_in | desk_in
    assert sent_frame_types() == live_out | desk_out


def test_every_error_code_the_consumer_gives_is_in_the_error_frame(served):
    assert error_codes() <= set(ERROR_CODES)
    error = served["components"]["messages"]["live_error"]["payload"]
    assert error["properties"]["code"]["enum"] == list(ERROR_CODES)


def test_every_close_code_is_in_the_document(served):
    live = {c["code"] for c in served["channels"]["liveChannel"]["x-close-codes"]}
    desk = {c["code"] for c in served["channels"]["desk"]["x-close-codes"]}
    assert close_codes() <= live | desk
    assert {4401, 4403, 4404, 4429, 1009} <= live
    assert desk == {4401, 4403}
    for channel in ("liveChannel", "desk"):
        assert all(c["meaning"] for c in served["channels"][channel]["x-close-codes"])


def test_a_client_gets_its_ticket_as_the_document_says(served, api, alice):
    scheme = served["components"]["securitySchemes"]["ticket"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("httpApiKey", "query", "ticket")
    query = served["channels"]["liveChannel"]["bindings"]["ws"]["query"]
    assert "ticket" in query["properties"]
    request = scheme["x-ticket-request"]

    response = api(alice).generic(request["method"], request["path"])

    assert response.status_code == request["status"]
    Draft7Validator(request["response"]).validate(response.json())


def test_the_frame_contract_refuses_frames_the_document_does_not_describe(served):
    contract = FrameContract.for_path("/ws/events/42/?ticket=abc", served)
    assert contract is not None and contract.channel == "liveChannel"
    contract.check_server({"type": "sent", "client_id": str(uuid.uuid4()), "id": 3, "seq": 1})
    contract.check_client({"type": "send", "channel": "all", "body": "Hold at the bridge",
                           "client_id": str(uuid.uuid4())})
    with pytest.raises(FrameMismatch, match="extra"):  # server frames are closed
        contract.check_server({"type": "sent", "client_id": str(uuid.uuid4()), "id": 3,
                               "seq": 1, "extra": True})
    with pytest.raises(FrameMismatch, match="lists no server frame"):
        contract.check_server({"type": "dance"})
    with pytest.raises(FrameMismatch):
        contract.check_client({"type": "subscribe", "channel": "everyone"})
    desk = FrameContract.for_path("/ws/desk/", served)
    desk.check_server({"type": "desk.changed", "event": 4, "what": "zone"})
    with pytest.raises(FrameMismatch):
        desk.check_server({"type": "desk.changed", "event": 4, "what": "zone", "body": "…"})
    assert FrameContract.for_path("/ws/elsewhere/", served) is None


def test_the_messages_over_http_are_the_documented_message_frames(served, api, alices_event,
                                                                    bob):
    from messaging import services

    services.send_message(event=alices_event, sender=bob, channel="all", kind="alert",
                          body="Hold at the bridge", client_id=uuid.uuid4())
    contract = FrameContract.for_path(f"/ws/events/{alices_event.pk}/", served)

    frames = api(bob).get(f"/api/v1/events/{alices_event.pk}/messages/").json()

    assert len(frames) == 1
    for frame in frames:
        contract.check_server(frame)


def test_the_api_docs_page_links_the_asyncapi_document(db, client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert 'href="/api/v1/asyncapi.json"' in response.content.decode()
