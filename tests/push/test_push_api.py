"""The Web Push endpoints: the server's public key, a browser's subscription (session with
CSRF, or API token), its removal; bad input answered in the house shape; endpoints the
notifier must not reach refused; logging out ends a phone's pushes."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from push.models import PushSubscription
from tests.push.stories import notifier_round, send_alert, subscribe
from tests.support.accounts import api_token
from tests.support.factories import PASSWORD, event_fields
from tests.support.push_service import Subscriber, b64url_decode

pytestmark = pytest.mark.django_db

URL = "/api/v1/push-subscriptions/"


def phone(name: str = "phone") -> Subscriber:
    return Subscriber(f"https://push.example.net/send/{name}")


def test_the_public_key_is_an_uncompressed_p256_point(alice, api, vapid):
    response = api(alice).get("/api/v1/push/public-key/")

    assert response.status_code == 200
    key = b64url_decode(response.json()["key"])
    assert len(key) == 65 and key[0] == 4
    assert response.json() == {"key": vapid}


def test_without_a_key_push_is_off_and_says_so(alice, api, settings):
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    settings.PARLEY_VAPID_PRIVATE_KEY_FILE = ""

    response = api(alice).get("/api/v1/push/public-key/")
    posted = api(alice).post(URL, phone().subscription_json(), format="json")

    assert response.status_code == 503
    assert response.json() == {"detail": "Notifications are not set up on this server."}
    assert posted.status_code == 503


def test_the_key_is_read_from_the_file_make_run_writes_once(alice, api, settings, tmp_path):
    path = tmp_path / "vapid-private.pem"
    settings.PARLEY_VAPID_PRIVATE_KEY = ""
    settings.PARLEY_VAPID_PRIVATE_KEY_FILE = str(path)
    call_command("vapid_keys", "--write", str(path))
    written = path.read_bytes()
    call_command("vapid_keys", "--write", str(path))  # again: kept as it is

    assert path.read_bytes() == written
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert api(alice).get("/api/v1/push/public-key/").status_code == 200


def test_a_member_turns_notifications_on_for_an_event(alices_event, alice, api, vapid):
    response = api(alice).post(URL, phone().subscription_json(event=alices_event.pk),
                               format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "endpoint", "event", "created_at"}
    assert body["event"] == alices_event.pk
    assert PushSubscription.objects.get(pk=body["id"]).user == alice


def test_the_same_phone_posted_again_is_updated_not_duplicated(alice, api, vapid):
    device = phone()
    first = api(alice).post(URL, device.subscription_json(), format="json")
    device.auth = b"0123456789abcdef"
    again = api(alice).post(URL, device.subscription_json(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert PushSubscription.objects.get().auth == base64.urlsafe_b64encode(
        b"0123456789abcdef").rstrip(b"=").decode()


@pytest.mark.parametrize(("change", "field"), [
    ({"endpoint": "not a url"}, "endpoint"),
    ({"endpoint": "http://push.example.net/send/1"}, "endpoint"),
    ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys"),
    ({"keys": {"p256dh": None}}, "keys"),
    ({"keys": "nope"}, "keys"),
    ({"event": 999999}, "event"),
    ({"event": "x"}, "event"),
])
def test_bad_input_is_refused_field_by_field(alice, api, vapid, change, field):
    response = api(alice).post(URL, {**phone().subscription_json(), **change}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert all(isinstance(messages, list) for messages in response.json().values())


def test_a_short_auth_secret_is_refused(alice, api, vapid):
    device = phone()
    device.auth = b"short"
    response = api(alice).post(URL, device.subscription_json(), format="json")
    assert response.status_code == 400
    assert "keys" in response.json()


def test_a_person_cannot_subscribe_to_an_event_they_are_not_a_member_of(alices_event, mallory,
                                                                       api, vapid):
    response = api(mallory).post(URL, phone().subscription_json(event=alices_event.pk),
                                 format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["event"]


@pytest.mark.parametrize("endpoint", [
    "https://127.0.0.1/send/1", "https://10.1.2.3/send/1", "https://[::1]/send/1",
    "https://169.254.169.254/latest/meta-data", "https://localhost/send/1",
    "http://127.0.0.1:8000/send/1", "https://user:pw@push.example.net/send/1",
    # global-looking IPv6 addresses that lead to 10.0.0.1: NAT64, 6to4, mapped
    "https://[64:ff9b::a00:1]/send/1", "https://[2002:a00:1::1]/send/1",
    "https://[::ffff:10.0.0.1]/send/1",
])
def test_in_production_the_notifier_is_never_aimed_at_private_addresses(alice, api, vapid,
                                                                       settings, endpoint):
    settings.PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS = False
    device = Subscriber(endpoint)

    response = api(alice).post(URL, device.subscription_json(), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["endpoint"]


def test_anonymous_people_cannot_subscribe(api, vapid):
    assert api().post(URL, phone().subscription_json(), format="json").status_code in (401, 403)


def test_a_person_turns_their_own_notifications_off_and_nobody_elses(alice, mallory, api,
                                                                      vapid):
    created = api(alice).post(URL, phone().subscription_json(), format="json").json()

    assert api(mallory).delete(f"{URL}{created['id']}/").status_code == 404
    assert api(alice).delete(f"{URL}{created['id']}/").status_code == 204
    assert api(alice).delete(f"{URL}{created['id']}/").status_code == 404
    assert not PushSubscription.objects.exists()


def test_a_browser_session_subscribes_with_its_csrf_token_only(alice, vapid):
    browser = Client(enforce_csrf_checks=True)
    browser.login(username="alice", password=PASSWORD)
    page = browser.get("/accounts/settings/")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else \
        browser.cookies["csrftoken"].value

    refused = browser.post(URL, phone().subscription_json(), content_type="application/json")
    accepted = browser.post(URL, phone().subscription_json(), content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert PushSubscription.objects.get().session_key == browser.session.session_key


def test_an_api_token_subscribes_without_csrf(alice, vapid):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(alice)}")

    response = client.post(URL, phone().subscription_json(), format="json")

    assert response.status_code == 201
    assert PushSubscription.objects.get().token_key


def test_logging_out_ends_the_phones_pushes(agreed_event, alice, bob, carol, vapid,
                                            push_service):
    from events import services as events

    live = events.transition_event(agreed_event, to="live", actor=carol)
    browser = Client()
    browser.login(username="alice", password=PASSWORD)
    device = Subscriber(push_service.endpoint("alice-phone"))
    assert browser.post(URL, device.subscription_json(),
                        content_type="application/json").status_code == 201
    kept = subscribe(carol, push_service, "carol-phone")

    browser.post("/accounts/logout/")
    send_alert(live, bob)
    notifier_round()

    assert not PushSubscription.objects.filter(user=alice).exists()
    assert push_service.to(device.endpoint) == []
    assert len(push_service.to(kept.endpoint)) == 1


def test_logging_out_on_the_laptop_leaves_the_phones_notifications_on(
        agreed_event, alice, bob, carol, vapid, push_service):
    from events import services as events

    live = events.transition_event(agreed_event, to="live", actor=carol)
    phone_session, laptop_session = Client(), Client()
    for browser in (phone_session, laptop_session):
        browser.login(username="alice", password=PASSWORD)
    on_phone = Subscriber(push_service.endpoint("alice-phone"))
    on_laptop = Subscriber(push_service.endpoint("alice-laptop"))
    phone_session.post(URL, on_phone.subscription_json(), content_type="application/json")
    laptop_session.post(URL, on_laptop.subscription_json(), content_type="application/json")
    with_a_token = Subscriber(push_service.endpoint("alice-app"))
    APIClient(HTTP_AUTHORIZATION=f"Token {api_token(alice)}").post(
        URL, with_a_token.subscription_json(), format="json")

    laptop_session.post("/accounts/logout/")
    send_alert(live, bob)
    notifier_round()

    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        on_phone.endpoint]
    assert len(push_service.to(on_phone.endpoint)) == 1
    assert push_service.to(on_laptop.endpoint) == push_service.to(with_a_token.endpoint) == []


def test_a_session_that_expired_or_a_token_gone_gets_no_more_pushes(agreed_event, alice, bob,
                                                                    carol, vapid, push_service):
    from django.contrib.sessions.models import Session

    from events import services as events

    live = events.transition_event(agreed_event, to="live", actor=carol)
    browser = Client()
    browser.login(username="alice", password=PASSWORD)
    by_session = Subscriber(push_service.endpoint("alice-phone"))
    browser.post(URL, by_session.subscription_json(), content_type="application/json")
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {api_token(carol)}")
    by_token = Subscriber(push_service.endpoint("carol-app"))
    app.post(URL, by_token.subscription_json(), format="json")

    Session.objects.all().delete()
    AuthToken.objects.filter(user=carol).delete()
    send_alert(live, bob)
    notifier_round()

    assert push_service.received == []


def test_revoking_a_persons_access_deletes_their_subscriptions(alice, api, vapid):
    from coordination.accounts.access import Reason, revoke_all_access

    api(alice).post(URL, phone().subscription_json(), format="json")
    revoke_all_access(alice, reason=Reason.DEACTIVATED)
    assert not PushSubscription.objects.exists()


def test_a_phone_that_changes_hands_is_the_new_persons(alices_event, alice, mallory, api,
                                                       vapid):
    from events import services as events

    other = events.register_event(organiser=mallory, **event_fields(title="Mallory's"))
    device = phone()
    api(alice).post(URL, device.subscription_json(), format="json")
    response = api(mallory).post(URL, device.subscription_json(event=other.pk), format="json")

    assert response.status_code == 201
    assert PushSubscription.objects.get().user == mallory


def test_knowing_someone_elses_push_address_does_not_take_their_notifications_over(
        alices_event, alice, mallory, api, vapid):
    alices_phone = phone("alice")
    api(alice).post(URL, alices_phone.subscription_json(event=alices_event.pk), format="json")
    mallorys_phone = phone("mallory")  # her own keys, with Alice's address
    forged = {**mallorys_phone.subscription_json(), "endpoint": alices_phone.endpoint}

    response = api(mallory).post(URL, forged, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["endpoint"]
    assert PushSubscription.objects.get().user == alice


@pytest.mark.parametrize("endpoint", [
    "https://push.example.net/send/1",  # a server of the subscriber's own, not a push service
    "https://fcm.googleapis.com:8443/fcm/send/1",  # a push service's host, another port
])
def test_in_production_only_the_browsers_push_services_are_accepted(alice, api, vapid,
                                                                    settings, endpoint,
                                                                    monkeypatch):
    import ipaddress

    from push import endpoints

    settings.PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS = False
    # Every name is on the internet here (this machine has no DNS to ask).
    monkeypatch.setattr(endpoints, "_addresses",
                        lambda host: [ipaddress.ip_address("93.184.216.34")])

    response = api(alice).post(URL, Subscriber(endpoint).subscription_json(), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["endpoint"]


def test_the_browsers_push_services_are_known_by_their_hosts(settings):
    from push.endpoints import UnsafeEndpoint, check_endpoint

    settings.PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS = False
    for endpoint in ("https://fcm.googleapis.com/fcm/send/abc",
                     "https://updates.push.services.mozilla.com/wpush/v2/abc",
                     "https://web.push.apple.com/QGx", "https://wns2-db5p.notify.windows.com/w/?t=1"):
        check_endpoint(endpoint, resolve=False)  # (no lookup: this machine has no DNS)
    for endpoint in ("https://fcm.googleapis.com.evil.example/x", "https://notgoogleapis.com/x",
                     "https://evilfcm.googleapis.com.example/x"):
        with pytest.raises(UnsafeEndpoint):
            check_endpoint(endpoint, resolve=False)


@pytest.mark.parametrize("address", ["::7f00:1", "::a00:1", "::ffff:0:7f00:1", "fec0::1"])
def test_ipv6_forms_that_lead_inside_are_refused(address, settings):
    from push.endpoints import UnsafeEndpoint, _addresses, check_endpoint

    settings.PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS = False
    settings.PARLEY_PUSH_SERVICES = [address]  # past the hosts check, to the address check
    assert _addresses(address)  # a literal address: no lookup
    with pytest.raises(UnsafeEndpoint):
        check_endpoint(f"https://[{address}]/send/1")


def test_a_person_turns_notifications_on_in_a_limited_number_of_places(alice, api, vapid,
                                                                       settings):
    settings.PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_PERSON = 3
    for number in range(3):
        assert api(alice).post(URL, phone(f"p{number}").subscription_json(),
                               format="json").status_code == 201
    again = api(alice).post(URL, phone("p0").subscription_json(), format="json")
    one_more = api(alice).post(URL, phone("p3").subscription_json(), format="json")

    assert again.status_code == 200  # the same place, updated
    assert one_more.status_code == 400
    assert list(one_more.json()) == ["non_field_errors"]
    assert PushSubscription.objects.filter(user=alice).count() == 3


def test_one_phone_follows_several_events_each_once(alices_event, alice, api, vapid):
    from events import services as events

    other = events.register_event(organiser=alice, **event_fields(title="Another march"))
    device = phone()
    for event in (alices_event, other, alices_event):
        api(alice).post(URL, device.subscription_json(event=event.pk), format="json")

    assert sorted(PushSubscription.objects.values_list("event", flat=True)) == sorted(
        [alices_event.pk, other.pk])


def test_a_session_ended_by_idling_takes_only_its_own_subscriptions(alice, vapid):
    """An idle session is logged out without revoking the person's other logins: only the
    subscriptions made in it go."""
    from django.contrib.auth.signals import user_logged_out
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from coordination.accounts.access import IDLE_LOGOUT_ATTRIBUTE

    phones = []
    for name in ("phone", "laptop"):
        browser = Client()
        browser.login(username="alice", password=PASSWORD)
        browser.post(URL, phone(name).subscription_json(), content_type="application/json")
        phones.append(browser.session.session_key)
    request = RequestFactory().get("/")
    request.session, request.user = SessionStore(session_key=phones[0]), alice
    setattr(request, IDLE_LOGOUT_ATTRIBUTE, True)

    user_logged_out.send(sender=alice.__class__, request=request, user=alice)

    assert list(PushSubscription.objects.values_list("session_key", flat=True)) == [phones[1]]


def test_the_key_printed_for_the_environment_is_the_one_served(alice, api, settings):
    from io import StringIO

    out = StringIO()
    call_command("vapid_keys", stdout=out)
    private_line, public_line = out.getvalue().splitlines()
    settings.PARLEY_VAPID_PRIVATE_KEY = private_line.removeprefix("PARLEY_VAPID_PRIVATE_KEY=")

    served = api(alice).get("/api/v1/push/public-key/").json()["key"]

    assert public_line.endswith(served)
