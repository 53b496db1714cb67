"""Alice turns notifications on for her demonstration on her phone, and the service worker
shows what is pushed and acknowledges an alert from the notification's button.

Headless Chromium reaches no real push service, so the browser's ``pushManager.subscribe`` is
given a stand-in subscription (the page's own code runs unchanged around it), and the worker's
push and click handlers are run inside the real service worker with a payload the notifier
composed."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from messaging.models import Acknowledgement
from push.models import PushDelivery, PushSubscription
from push.notifications import compose_pushes
from tests.push.stories import send_alert
from tests.support.push_service import Subscriber

pytestmark = pytest.mark.e2e

PHONE = Subscriber("https://push.example.net/send/alices-phone")

#: Before the page's scripts: pushManager.subscribe answers with PHONE's subscription.
STAND_IN = """
(() => {
  const subscription = SUBSCRIPTION;
  const standIn = {endpoint: subscription.endpoint, toJSON: () => subscription,
                   unsubscribe: async () => true};
  // Subscribed, as a browser remembers it across reloads.
  PushManager.prototype.subscribe = async function () {
    sessionStorage.setItem("stand-in-subscribed", "yes");
    return standIn;
  };
  PushManager.prototype.getSubscription = async function () {
    return sessionStorage.getItem("stand-in-subscribed") ? standIn : null;
  };
})();
""".replace("SUBSCRIPTION", json.dumps(PHONE.subscription_json()))


#: Safari on an iPhone, in a tab: no Web Push there (only once added to the Home Screen).
IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
NO_PUSH = "delete window.PushManager;"


def _worker(page):
    context = page.context
    for worker in context.service_workers:
        return worker
    return context.wait_for_event("serviceworker", timeout=15000)


def test_a_member_turns_notifications_on_and_off_for_her_demonstration(
        vapid, phone_for, agreed_event, alice):
    page = phone_for(alice, f"/events/{agreed_event.pk}/", permissions=["notifications"],
                     before=lambda p: p.add_init_script(STAND_IN))
    button = page.locator("#push-button")
    expect(button).to_have_text("Notify me on this phone")

    button.click()

    expect(page.locator("#push-status")).to_have_text("Notifications are on for this phone.")
    subscription = PushSubscription.objects.get()
    assert (subscription.user, subscription.event, subscription.endpoint) == (
        alice, agreed_event, PHONE.endpoint)
    assert subscription.session_key  # tied to this login

    page.reload()
    expect(page.locator("#push-status")).to_have_text("Notifications are on for this phone.")
    page.locator("#push-button").click()
    expect(page.locator("#push-button")).to_have_text("Notify me on this phone")
    assert not PushSubscription.objects.exists()


def gone_from(event, person, timeout: float = 15) -> None:
    """Waits until the server has seen ``person``'s connection to ``event`` close (the page
    closed; the server hears it a moment later)."""
    from messaging.models import Presence

    deadline = time.monotonic() + timeout
    while Presence.objects.filter(event=event, user=person).exists():
        assert time.monotonic() < deadline, "the closed page still counts as connected"
        time.sleep(0.05)  # polling the database for the condition itself, not a fixed wait


def test_the_service_worker_shows_an_alert_and_acknowledges_it_from_its_button(
        vapid, phone_for, agreed_event, alice, bob, carol):
    from events import services as events

    live = events.transition_event(agreed_event, to="live", actor=carol)
    page = phone_for(alice, f"/events/{live.pk}/", permissions=["notifications"],
                     before=lambda p: p.add_init_script(STAND_IN))
    page.locator("#push-button").click()
    expect(page.locator("#push-status")).to_have_text("Notifications are on for this phone.")
    page.close()  # no open connection: the alert is pushed
    gone_from(live, alice)
    message = send_alert(live, bob, "Move back from the bridge")
    compose_pushes()
    payload = PushDelivery.objects.get().payload
    worker = _worker(page)

    shown = worker.evaluate("""async (payload) => {
        await PARLEY_PUSH.show(payload);
        const [notification] = await self.registration.getNotifications();
        return {title: notification.title, body: notification.body, tag: notification.tag,
                actions: notification.actions.map((a) => [a.action, a.title]),
                url: notification.data.url};
    }""", payload)

    assert shown == {"title": f"Alert: {live.title}", "body": "Move back from the bridge",
                     "tag": payload["tag"], "actions": [["acknowledge", "Acknowledge"]],
                     "url": f"/events/{live.pk}/"}

    left = worker.evaluate("""async () => {
        const [notification] = await self.registration.getNotifications();
        await PARLEY_PUSH.click(notification, "acknowledge");
        return (await self.registration.getNotifications()).length;
    }""")

    assert left == 0  # the notification closed
    assert Acknowledgement.objects.filter(message=message, user=alice).count() == 1


#: Before the page's scripts: the browser's push service never answers (a phone in a crowd).
SILENT_PUSH_SERVICE = """
PushManager.prototype.subscribe = () => new Promise(() => {});
PushManager.prototype.getSubscription = async () => null;
"""


def test_a_push_service_that_never_answers_is_said_so_instead_of_waiting_for_ever(
        vapid, phone_for, agreed_event, alice):
    page = phone_for(alice, f"/events/{agreed_event.pk}/", permissions=["notifications"],
                     before=lambda p: p.add_init_script(SILENT_PUSH_SERVICE))
    expect(page.locator("#push-button")).to_be_visible()  # the page's script is ready
    page.locator("#push-toggle").evaluate("(node) => { node.dataset.subscribeTimeout = '1500'; }")

    page.locator("#push-button").click()

    expect(page.locator("#push-status")).to_have_text(
        "This phone's push service does not answer, so notifications stay off. "
        "Please try again later.")
    expect(page.locator("#push-button")).to_be_enabled()
    expect(page.locator("#push-button")).to_have_text("Notify me on this phone")
    assert not PushSubscription.objects.exists()


def test_turning_notifications_on_offline_says_to_wait_for_the_network(
        vapid, phone_for, agreed_event, alice):
    page = phone_for(alice, f"/events/{agreed_event.pk}/", permissions=["notifications"],
                     before=lambda p: p.add_init_script(STAND_IN))
    expect(page.locator("#push-button")).to_be_visible()  # the page's script is ready
    page.context.set_offline(True)

    page.locator("#push-button").click()

    expect(page.locator("#push-status")).to_have_text(
        "You are offline: turn notifications on when the network is back.")
    assert not PushSubscription.objects.exists()
    page.context.set_offline(False)
    # The "Offline since" banner goes (the page moves up under the finger) before she taps.
    expect(page.locator("#offline-banner")).to_be_hidden()
    page.locator("#push-button").click()
    # Just back, the first requests may wait on the network a few seconds.
    expect(page.locator("#push-status")).to_have_text("Notifications are on for this phone.",
                                                      timeout=20_000)


def test_on_an_iphone_in_safari_the_page_says_to_add_parley_to_the_home_screen(
        vapid, phone_for, agreed_event, alice):
    page = phone_for(alice, f"/events/{agreed_event.pk}/", user_agent=IPHONE_SAFARI,
                     before=lambda p: p.add_init_script(NO_PUSH))

    expect(page.locator("#push-status")).to_have_text(
        "On an iPhone or iPad, notifications work once Parley is on the Home Screen: in "
        "Safari, tap Share, then Add to Home Screen, and open Parley from its icon.")
    expect(page.locator("#push-button")).to_be_hidden()


def test_another_browser_without_web_push_says_it_cannot_notify(
        vapid, phone_for, agreed_event, alice):
    page = phone_for(alice, f"/events/{agreed_event.pk}/",
                     before=lambda p: p.add_init_script(NO_PUSH))

    expect(page.locator("#push-status")).to_have_text(
        "This browser cannot show notifications from Parley.")
    expect(page.locator("#push-button")).to_be_hidden()
