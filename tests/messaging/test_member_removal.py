"""Access lost is access lost at once (docs/security.md, "Hostile members", finding 5).

Someone is taken off a demonstration (``DELETE /api/v1/events/{id}/members/{username}/`` or
the event page's "Remove" button); deactivated; logged out; their password changed; one of
their API tokens revoked. Each open connection of theirs that no longer has the right closes
within 2 s — 4403 when removed, 4401 when signed out or deactivated — live channels and desks
alike, and nothing they send after the removal is stored.

alice organises the demonstration; zoe is her co-organiser (where a story needs one); bob
(police) and carol (city) are its members; mallory organises another one.

Runs on the embedded default (SpatiaLite, in-memory channel layer) and on PostgreSQL with
Redis (``DATABASE_URL``, ``REDIS_URL``); tests/integration/test_removal_workers.py closes
connections on other worker processes.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from config.asgi import application
from coordination.log.kinds import label_of
from coordination.models import LogEntry
from events import services
from events.rules import can_remove_member
from messaging import services as messaging
from messaging.models import Message
from tests.support.accounts import api_token, log_in
from tests.support.factories import make_user
from tests.support.ws import communicator, connect_to_event, receive_until, session_cookie_for

#: How long a connection may stay open once its person's access is gone.
AT_ONCE = 2


def member_url(event, username: str) -> str:
    return f"/api/v1/events/{event.pk}/members/{username}/"


def members(event) -> set[str]:
    return set(event.memberships.values_list("user__username", flat=True))


def log_of(event, kind: str) -> list[tuple[dict, str]]:
    return [(e.data, e.actor["name"]) for e in LogEntry.objects.filter(event=event, kind=kind)]


@pytest.fixture
def zoe(alices_event, alice):
    """Zoe, Alice's co-organiser."""
    zoe = make_user("zoe", "organiser", name="Zoe Second")
    services.add_member(alices_event, username="zoe", actor=alice)
    return zoe


# --- Who may remove whom (the API) ---------------------------------------------------------


@pytest.mark.django_db
def test_city_removes_a_police_officer_and_the_log_says_who_did(alices_event, carol, api):
    response = api(carol).delete(member_url(alices_event, "bob"))

    assert response.status_code == 204
    assert members(alices_event) == {"alice", "carol"}
    assert log_of(alices_event, "event.member_removed") == [
        ({"username": "bob", "role": "police"}, "Carol City")]
    assert label_of("event.member_removed") == "Member removed"


@pytest.mark.django_db
def test_city_removes_an_organiser_while_another_organiser_remains(alices_event, carol, zoe,
                                                                    api):
    assert api(carol).delete(member_url(alices_event, "alice")).status_code == 204
    assert members(alices_event) == {"zoe", "bob", "carol"}
    # Alice no longer sees the demonstration, nor hears of it by e-mail.
    from events.notifications import organisers_of

    alice = get_user_model().objects.get(username="alice")
    assert api(alice).get(f"/api/v1/events/{alices_event.pk}/").status_code == 404
    assert [person.username for person in organisers_of(alices_event)] == ["zoe"]


@pytest.mark.django_db
def test_organiser_removes_her_co_organiser(alices_event, alice, zoe, api):
    assert api(alice).delete(member_url(alices_event, "zoe")).status_code == 204
    assert members(alices_event) == {"alice", "bob", "carol"}
    assert log_of(alices_event, "event.member_removed") == [
        ({"username": "zoe", "role": "organiser"}, "Alice Martin")]


@pytest.mark.django_db
def test_an_organiser_may_leave_while_another_organiser_remains(alices_event, alice, zoe,
                                                                api):
    assert api(alice).delete(member_url(alices_event, "alice")).status_code == 204
    assert members(alices_event) == {"zoe", "bob", "carol"}


@pytest.mark.django_db
def test_nobody_removes_the_last_organiser(alices_event, alice, carol, api):
    for actor in (carol, alice):
        response = api(actor).delete(member_url(alices_event, "alice"))
        assert response.status_code == 409
        assert response.json() == {"detail": "Alice Martin is the last organiser of this "
                                             "demonstration and cannot be removed: add another "
                                             "organiser first."}
    assert "alice" in members(alices_event)
    assert log_of(alices_event, "event.member_removed") == []


@pytest.mark.django_db
def test_an_organiser_cannot_remove_police_or_city_members(alices_event, alice, api):
    for username in ("bob", "carol"):
        response = api(alice).delete(member_url(alices_event, username))
        assert response.status_code == 403
        assert "detail" in response.json()
    assert members(alices_event) == {"alice", "bob", "carol"}


@pytest.mark.django_db
def test_police_remove_no_one_not_even_themselves(alices_event, bob, api):
    for username in ("carol", "alice", "bob"):
        assert api(bob).delete(member_url(alices_event, username)).status_code == 403
    assert members(alices_event) == {"alice", "bob", "carol"}


@pytest.mark.django_db
def test_an_organiser_of_another_demonstration_hears_it_does_not_exist(alices_event, mallory,
                                                                       api):
    hidden = api(mallory).delete(member_url(alices_event, "bob"))
    missing = api(mallory).delete("/api/v1/events/999999/members/bob/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert members(alices_event) == {"alice", "bob", "carol"}


@pytest.mark.django_db
def test_an_unknown_username_and_someone_who_is_not_a_member_answer_alike(alices_event, carol,
                                                                         api):
    make_user("erin", "police")

    nobody = api(carol).delete(member_url(alices_event, "nobody-at-all"))
    not_member = api(carol).delete(member_url(alices_event, "erin"))

    assert nobody.status_code == not_member.status_code == 404
    assert nobody.json() == not_member.json() == {
        "detail": "No such member of this demonstration."}


@pytest.mark.django_db
def test_removing_needs_to_be_logged_in(alices_event, api):
    assert api().delete(member_url(alices_event, "bob")).status_code == 401


@pytest.mark.django_db
def test_the_rule_is_asked_by_name_and_answers_as_the_api_does(alices_event, alice, bob,
                                                                carol, zoe, mallory):
    of = {m.user.username: m for m in alices_event.memberships.select_related("user")}
    assert all(can_remove_member(carol, alices_event, m) for m in of.values())
    assert [name for name, m in sorted(of.items())
            if can_remove_member(alice, alices_event, m)] == ["alice", "zoe"]
    assert not any(can_remove_member(bob, alices_event, m) for m in of.values())
    assert not any(can_remove_member(mallory, alices_event, m) for m in of.values())
    assert carol.has_perm("events.remove_member", alices_event)
    assert alice.has_perm("events.remove_member", alices_event)
    assert not bob.has_perm("events.remove_member", alices_event)


# --- The event page ------------------------------------------------------------------------


def page_as(user) -> Client:
    return log_in(Client(), user)


def remove_buttons(html: str, event) -> set[str]:
    import re

    return set(re.findall(rf'action="/events/{event.pk}/members/([^/"]+)/remove/"', html))


@pytest.mark.django_db
def test_the_event_page_offers_remove_to_whoever_may_and_never_for_the_last_organiser(
        alices_event, alice, bob, carol):
    url = reverse("events:detail", args=[alices_event.pk])

    assert remove_buttons(page_as(carol).get(url).content.decode(), alices_event) == {
        "bob", "carol"}
    assert remove_buttons(page_as(alice).get(url).content.decode(), alices_event) == set()
    assert remove_buttons(page_as(bob).get(url).content.decode(), alices_event) == set()
    make_user("zoe", "organiser", name="Zoe Second")
    services.add_member(alices_event, username="zoe", actor=alice)
    page = page_as(alice).get(url).content.decode()
    assert remove_buttons(page, alices_event) == {"alice", "zoe"}
    assert "Remove Zoe Second from this demonstration" in page


@pytest.mark.django_db
def test_city_removes_a_member_from_the_page_and_is_told_so(alices_event, carol):
    client = page_as(carol)

    response = client.post(reverse("events:remove_member", args=[alices_event.pk, "bob"]),
                           follow=True)

    assert response.redirect_chain[-1][0] == alices_event.get_absolute_url()
    assert "Bob Officer is no longer a member of this demonstration." in \
        response.content.decode()
    assert members(alices_event) == {"alice", "carol"}
    assert log_of(alices_event, "event.member_removed") == [
        ({"username": "bob", "role": "police"}, "Carol City")]


@pytest.mark.django_db
def test_the_page_refuses_to_remove_the_last_organiser_with_a_message(alices_event, carol):
    response = page_as(carol).post(
        reverse("events:remove_member", args=[alices_event.pk, "alice"]), follow=True)

    assert "is the last organiser of this demonstration" in response.content.decode()
    assert "alice" in members(alices_event)


@pytest.mark.django_db
def test_an_organiser_who_leaves_from_the_page_goes_back_to_her_list(alices_event, alice,
                                                                      zoe):
    response = page_as(zoe).post(
        reverse("events:remove_member", args=[alices_event.pk, "zoe"]))

    assert response.status_code == 302 and response["Location"] == reverse("events:list")


@pytest.mark.django_db
def test_the_remove_form_needs_post_and_its_csrf_token(alices_event, carol):
    url = reverse("events:remove_member", args=[alices_event.pk, "bob"])
    assert page_as(carol).get(url).status_code == 405
    strict = log_in(Client(enforce_csrf_checks=True), carol)
    assert strict.post(url).status_code == 403
    assert "bob" in members(alices_event)


# --- Live: removal -------------------------------------------------------------------------


async def closed_within(ws, seconds: float = AT_ONCE) -> int:
    """The close code ``ws`` receives within ``seconds`` (frames before it are skipped)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"still open after {seconds}s")
        output = await ws.receive_output(timeout=remaining)
        if output["type"] == "websocket.close":
            return output["code"]


async def still_open(ws) -> None:
    await ws.send_json_to({"type": "ping"})
    await receive_until(ws, "pong")


async def open_desk(cookie: bytes | None = None, *, ticket: str | None = None):
    path = "/ws/desk/" + (f"?ticket={ticket}" if ticket else "")
    ws = communicator(application, path, cookie=cookie,
                      origin=None if ticket else b"http://127.0.0.1")
    connected, _ = await ws.connect()
    assert connected
    await still_open(ws)  # in its groups by now
    return ws


async def open_channel(event, cookie: bytes | None = None, *, ticket: str | None = None):
    path = f"/ws/events/{event.pk}/" + (f"?ticket={ticket}" if ticket else "")
    ws = communicator(application, path, cookie=cookie,
                      origin=None if ticket else b"http://127.0.0.1")
    connected, _ = await ws.connect()
    assert connected
    await still_open(ws)
    return ws


def user(username: str):
    return get_user_model().objects.get(username=username)


def cookie_of(username: str) -> bytes:
    return session_cookie_for(user(username))


@pytest.mark.django_db(transaction=True)
async def test_a_connected_police_officer_who_is_removed_is_closed_with_4403_at_once(
        agreed_event, carol):
    bob = await connect_to_event("bob", agreed_event)
    alice = await connect_to_event("alice", agreed_event)
    try:
        await still_open(bob)
        await sync_to_async(services.remove_member)(agreed_event, username="bob", actor=carol)
        assert await closed_within(bob) == 4403
        await still_open(alice)  # everyone else stays
    finally:
        await bob.disconnect()
        await alice.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_removed_co_organiser_is_closed_with_4403_at_once(agreed_event, alice, zoe):
    ws = await connect_to_event("zoe", agreed_event)
    try:
        await still_open(ws)
        await sync_to_async(services.remove_member)(agreed_event, username="zoe", actor=alice)
        assert await closed_within(ws) == 4403
    finally:
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_nothing_a_removed_member_sends_after_the_removal_is_stored(agreed_event, carol,
                                                                         settings):
    """Bob sends as fast as he can while the city removes him: every message of his that
    was stored is in the log before his removal, none after."""
    settings.PARLEY_RATE_LIMIT_MESSAGES = 1000
    bob = await connect_to_event("bob", agreed_event)
    try:
        await still_open(bob)
        for n in range(40):
            await bob.send_json_to({"type": "send", "channel": "officials", "kind": "message",
                                    "body": f"m{n}", "client_id": str(uuid.uuid4())})
            if n == 10:
                await sync_to_async(services.remove_member)(agreed_event, username="bob",
                                                            actor=carol)
        assert await closed_within(bob) == 4403
    finally:
        await bob.disconnect()

    def entries():
        removed = LogEntry.objects.get(event=agreed_event, kind="event.member_removed").seq
        sent = list(LogEntry.objects.filter(event=agreed_event, kind="message.sent",
                                            actor__name="Bob Officer")
                    .values_list("seq", flat=True))
        return removed, sent, Message.objects.filter(sender__username="bob").count()

    removed, sent, stored = await sync_to_async(entries)()
    assert all(seq < removed for seq in sent)
    assert stored == len(sent) < 40


@pytest.mark.django_db(transaction=True)
def test_a_message_from_someone_removed_or_deactivated_is_refused_when_it_would_be_stored(
        agreed_event, bob, carol):
    """A connection holds its person as they were when it opened; the storing transaction
    asks the database."""
    connected_as_bob = user("bob")  # what bob's open connection holds
    services.remove_member(agreed_event, username="bob", actor=carol)
    with pytest.raises(PermissionDenied):
        messaging.send_message(event=agreed_event, sender=connected_as_bob, channel="all",
                               kind="message", body="Still here?", client_id=uuid.uuid4())

    connected_as_carol = user("carol")
    gone = user("carol")
    gone.is_active = False
    gone.save()
    assert connected_as_carol.is_active  # the connection's copy does not know
    with pytest.raises(PermissionDenied):
        messaging.send_message(event=agreed_event, sender=connected_as_carol, channel="all",
                               kind="message", body="Still here?", client_id=uuid.uuid4())
    assert not Message.objects.exists()


# --- Live: deactivation, logout, password change, token revocation -------------------------


@pytest.mark.django_db(transaction=True)
async def test_deactivation_closes_the_event_channel_and_the_desk_with_4401_at_once(
        agreed_event, carol):
    cookie = await sync_to_async(cookie_of)("bob")
    channel, desk = await open_channel(agreed_event, cookie), await open_desk(cookie)
    carols_desk = await open_desk(await sync_to_async(cookie_of)("carol"))
    try:
        bob = await sync_to_async(user)("bob")
        bob.is_active = False
        await sync_to_async(bob.save)()
        assert await closed_within(channel) == 4401
        assert await closed_within(desk) == 4401
        await still_open(carols_desk)
    finally:
        for ws in (channel, desk, carols_desk):
            await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_logging_out_closes_the_persons_connections_with_4401_at_once(agreed_event):
    browser = await sync_to_async(lambda: log_in(Client(), user("carol")))()
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    channel = await open_channel(agreed_event, cookie.encode())
    desk = await open_desk(cookie.encode())
    try:
        response = await sync_to_async(browser.post)(reverse("logout"))
        assert response.status_code == 302
        assert await closed_within(channel) == 4401
        assert await closed_within(desk) == 4401
    finally:
        await channel.disconnect()
        await desk.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_password_change_closes_connections_with_4401_at_once(agreed_event):
    cookie = await sync_to_async(cookie_of)("bob")
    token = await sync_to_async(lambda: api_token(user("bob")))()
    ticket = await sync_to_async(ticket_with)(token)
    channel = await open_channel(agreed_event, cookie)
    desk = await open_desk(ticket=ticket)
    try:
        def change_password():
            bob = user("bob")
            bob.set_password("an entirely new secret for bob")
            bob.save()

        await sync_to_async(change_password)()
        assert await closed_within(channel) == 4401
        assert await closed_within(desk) == 4401
    finally:
        await channel.disconnect()
        await desk.disconnect()


def ticket_with(token: str) -> str:
    """A WebSocket ticket taken with the API token ``token``, as an app takes one."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/v1/ws-tickets/")
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


def revoke(token: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete("/api/v1/auth/token/").status_code == 204


@pytest.mark.django_db(transaction=True)
async def test_revoking_a_token_closes_the_connections_its_tickets_opened_and_no_others(
        agreed_event):
    phone, laptop = await sync_to_async(lambda: (api_token(user("bob")),
                                                  api_token(user("bob"))))()
    on_phone = await open_channel(agreed_event, ticket=await sync_to_async(ticket_with)(phone))
    desk_on_phone = await open_desk(ticket=await sync_to_async(ticket_with)(phone))
    on_laptop = await open_channel(agreed_event,
                                   ticket=await sync_to_async(ticket_with)(laptop))
    in_browser = await open_channel(agreed_event, await sync_to_async(cookie_of)("bob"))
    try:
        await sync_to_async(revoke)(phone)
        assert await closed_within(on_phone) == 4401
        assert await closed_within(desk_on_phone) == 4401
        await still_open(on_laptop)
        await still_open(in_browser)
    finally:
        for ws in (on_phone, desk_on_phone, on_laptop, in_browser):
            await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_taken_with_a_token_revoked_since_opens_nothing(agreed_event):
    token = await sync_to_async(lambda: api_token(user("bob")))()
    ticket = await sync_to_async(ticket_with)(token)
    await sync_to_async(revoke)(token)

    ws = communicator(application, f"/ws/events/{agreed_event.pk}/?ticket={ticket}",
                      origin=None)
    await ws.connect()
    try:
        assert (await ws.receive_output(timeout=5))["code"] == 4401
    finally:
        await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_someone_elses_loss_of_access_leaves_a_connection_open(agreed_event, carol):
    alice = await connect_to_event("alice", agreed_event)
    desk = await open_desk(await sync_to_async(cookie_of)("carol"))
    try:
        await sync_to_async(services.remove_member)(agreed_event, username="bob", actor=carol)

        def deactivate_bob():
            bob = user("bob")
            bob.is_active = False
            bob.save()

        await sync_to_async(deactivate_bob)()
        await still_open(alice)
        await still_open(desk)
    finally:
        await alice.disconnect()
        await desk.disconnect()
