"""The REST API fuzzed from its own OpenAPI document: schemathesis generates requests for every
operation of ``/api/v1/schema/`` and sends each as an organiser, a police officer, a city
official and a reviewer (API tokens), in-process against Django's WSGI application.

Whatever comes in, no answer is a server error, every status code and content type is one the
document lists for that operation, and every body matches the document's schema for it.
Generated ids are mapped onto real ones (a demonstration, a zone, a message…, or one that does
not exist), so requests reach real objects rather than stopping at 404.

Bounded for ``make test``: a few examples per operation, derandomized (the same requests on
every run), no deadline — about half a minute in all, so not marked ``slow``: ``make
test-fast`` runs it too. The document is OpenAPI 3.1 (JSON Schema): a ``null`` the document
does not allow, or a 400 not in the one shape of ``Invalid``, fails here.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

ROLES = ("alice", "bob", "carol", "dave")
#: Examples per operation (each sent once per role); raise it for a longer hunt:
#: PARLEY_FUZZ_EXAMPLES=100 .venv/bin/python -m pytest tests/site/test_api_fuzz.py
EXAMPLES = int(os.environ.get("PARLEY_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _load_schema():
    """The document ``/api/v1/schema/`` serves, generated as its view does (no request, no
    database at collection time), its requests answered by Django's WSGI application."""
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    # Random generation only, bounded by max_examples below: the coverage phase's boundary
    # cases are many per operation, too many for every run of the suite.
    loaded.config.phases.coverage.enabled = False
    loaded.config.phases.stateful.enabled = False
    return loaded


schema = _load_schema()


@pytest.fixture(autouse=True)
def requests_keep_the_test_transaction():
    """Requests go straight to the WSGI handler: hold back Django's connection clean-up
    between requests, as its test client does, so the test's transaction survives them."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(alices_event, alice, bob, carol, dave, settings):
    """Real objects for generated ids to land on, and everyone's API token; Web Push on."""
    from events import services as events
    from push.keys import generate_private_pem
    from tests.support.accounts import api_token
    from tests.support.factories import event_fields
    from tests.support.review import live_event, say
    from tests.support.zones import make_sensitive_site, make_zone

    settings.PARLEY_VAPID_PRIVATE_KEY = generate_private_pem().decode()
    zone = make_zone(alices_event, carol)
    site = make_sensitive_site(carol)
    instruction = say(alices_event, carol, "Keep the north lane clear.", kind="instruction")
    over = events.register_event(organiser=alice, **event_fields(title="Last month's march"))
    events.transition_event(over, to="submitted", actor=alice)
    for member in ("bob", "carol"):
        events.add_member(over, username=member, actor=carol)
    over, agreed_zone = live_event(over, alice=alice, bob=bob, carol=carol)
    alert = say(over, bob, "Crowd growing at the steps.", kind="alert")
    events.transition_event(over, to="concluded", actor=carol)
    ids = sorted({alices_event.pk, over.pk, zone.pk, site.pk, agreed_zone.pk,
                  instruction.pk, alert.pk, 999_999})
    people = dict(zip(ROLES, (alice, bob, carol, dave), strict=True))
    tokens = {name: api_token(user) for name, user in people.items()}
    return {"ids": ids, "tokens": tokens, "people": people}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_or_break_its_schema(case, fuzz_world):
    from tests.support.accounts import api_token

    ids = fuzz_world["ids"]
    if case.path_parameters and "pk" in case.path_parameters:
        generated = case.path_parameters["pk"]
        if isinstance(generated, int):
            case.path_parameters["pk"] = ids[generated % len(ids)]
    # Revoking a token would leave the other operations nothing but 401: it gets its own.
    revoking = case.method.upper() == "DELETE" and case.path == "/api/v1/auth/token/"
    for role in ROLES:
        token = api_token(fuzz_world["people"][role]) if revoking \
            else fuzz_world["tokens"][role]
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@pytest.mark.django_db
def test_the_fuzzed_document_is_the_one_the_api_serves(client):
    """The operations fuzzed above are exactly those of ``/api/v1/schema/``."""
    import json

    served = json.loads(client.get("/api/v1/schema/?format=json").content)
    fuzzed = {(path, method) for path, item in schema.raw_schema["paths"].items()
              for method in item}
    assert {(path, method) for path, item in served["paths"].items() for method in item} \
        == fuzzed
    assert len(fuzzed) > 30
