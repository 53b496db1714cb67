"""CSRF on every form: every page Parley serves, opened by each kind of person, carries a
CSRF token in each of its POST forms; a POST without one is refused (403) and changes
nothing; the pages' scripts send the token with every request that writes.

The pages are found in the URL configuration itself, so a new page cannot be forgotten.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from events import services
from messaging.models import Message
from review.models import ReviewerNote
from tests.support.accounts import log_in
from tests.support.factories import PASSWORD, event_fields
from tests.support.review import concluded_story

ROOT = Path(__file__).resolve().parents[2]


class Forms(HTMLParser):
    """The POST forms of a page: their action and the CSRF token they carry."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = {"action": attrs.get("action") or "", "id": attrs.get("id"),
                          "method": (attrs.get("method") or "get").lower(), "token": None}
            self.forms.append(self._open)
        elif tag == "input" and self._open and attrs.get("name") == "csrfmiddlewaretoken":
            self._open["token"] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def post_forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return [form for form in parser.forms if form["method"] == "post"]


def pages(event_pks: list[int]) -> list[str]:
    """Every page (not the API, not the admin) that takes no argument or an event's pk."""
    found = []

    def walk(patterns, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns,
                                namespaces + ([pattern.namespace] if pattern.namespace else []))
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield ":".join([*namespaces, pattern.name]), pattern

    for name, pattern in walk(get_resolver().url_patterns, []):
        if name.startswith(("api:", "admin:")):
            continue
        keys = set(pattern.pattern.regex.groupindex)
        if keys - {"pk"}:
            continue  # e.g. password-reset links: uidb64 and token
        for pk in event_pks if keys else [None]:
            try:
                found.append(reverse(name, kwargs={"pk": pk} if keys else {}))
            except NoReverseMatch:
                continue
    return sorted(set(found))


@pytest.fixture
def two_events(alices_event, alice, bob, carol):
    """A concluded demonstration (review, notes, replay) and Alice's second, still a draft
    (registration, edit and transition forms)."""
    concluded = concluded_story(alices_event, alice=alice, bob=bob, carol=carol)
    draft = services.register_event(organiser=alice, **event_fields(title="Vigil at dusk"))
    return concluded.event, draft


def test_every_post_form_on_every_page_carries_a_csrf_token(two_events, alice, bob, carol, dave):
    concluded, draft = two_events
    urls = pages([concluded.pk, draft.pk])
    forms_seen: dict[str, set[str]] = {}
    missing = []
    for user in (None, alice, bob, carol, dave):
        client = Client()
        if user is not None:
            log_in(client, user)
        for url in urls:
            if url.endswith("/logout/"):
                continue  # POST only; its form is on every page
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            for form in post_forms(response.content.decode()):
                action = form["action"] or url
                forms_seen.setdefault(action, set()).add(url)
                if not form["token"] or len(form["token"]) < 32:
                    missing.append((str(user), url, action))
    assert missing == []
    actions = set(forms_seen)
    # The walk reached the forms that matter (so this test cannot pass by finding none).
    for expected in [
        reverse("login"), reverse("signup"), reverse("logout"), reverse("set_language"),
        reverse("password_change"), reverse("events:register"),
        reverse("events:transition", args=[draft.pk]),
        reverse("events:add_member", args=[draft.pk]),
        reverse("events:edit", args=[draft.pk]),
        reverse("review:add_note", args=[concluded.pk]),
        reverse("two_factor_setup"), reverse("two_factor_verify"), reverse("password_reset"),
    ]:
        assert expected in actions, (expected, sorted(actions))


def strict_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        log_in(client, user)
    return client


def token_from(client: Client, url: str) -> str:
    form = post_forms(client.get(url).content.decode())[-1]
    return form["token"]


@pytest.mark.django_db
def test_a_login_without_a_csrf_token_is_refused(alice):
    client = strict_client()
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_transition_without_a_csrf_token_is_refused_and_changes_nothing(two_events, alice):
    _concluded, draft = two_events
    client = strict_client(alice)
    url = reverse("events:transition", args=[draft.pk])
    assert client.post(url, {"to": "submitted"}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft"
    # The same request with the page's token goes through: the 403 was the missing token.
    token = token_from(client, draft.get_absolute_url())
    response = client.post(url, {"to": "submitted", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "submitted"


def test_a_reviewer_note_without_a_csrf_token_is_refused(two_events, dave):
    concluded, _draft = two_events
    client = strict_client(dave)
    response = client.post(reverse("review:add_note", args=[concluded.pk]),
                           {"body": "Forged note"})
    assert response.status_code == 403
    assert not ReviewerNote.objects.filter(body="Forged note").exists()


def test_a_session_api_write_without_the_csrf_header_is_refused(two_events, alice, carol):
    """The pages' scripts write through the API with the session cookie: without the
    X-CSRFToken header that is refused, with it accepted."""
    _concluded, draft = two_events
    services.transition_event(draft, to="submitted", actor=alice)
    services.add_member(draft, username="carol", actor=carol)
    client = strict_client(carol)
    url = reverse("api:event-messages", args=[draft.pk])
    body = {"channel": "all", "kind": "message", "body": "Forged", "client_id":
            "7d1e4a53-3d7c-4a57-9f0f-7b2f1d1c0a11"}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Message.objects.filter(body="Forged").exists()
    token = token_from(client, draft.get_absolute_url())
    response = client.post(url, body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content


WRITES = re.compile(r"method:\s*(\"(POST|PATCH|PUT|DELETE)\"|method\b)")
#: Scripts that write with no session at all, so with no CSRF token to send: the service
#: worker's "Acknowledge" posts the signed token its push carried (push/api.py, PushAcksView),
#: with the cookies left out.
WITHOUT_SESSION = {"static/push/service_worker_push.js"}


@pytest.mark.parametrize("script", sorted((ROOT / "static").rglob("*.js")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_script_that_writes_sends_the_csrf_header(script):
    text = script.read_text()
    if str(script.relative_to(ROOT)) in WITHOUT_SESSION:
        assert 'credentials: "omit"' in text and "X-CSRFToken" not in text
    elif WRITES.search(text):
        assert "X-CSRFToken" in text
