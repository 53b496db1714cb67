/* Parley: "Notify me on this phone" on a demonstration's page (an ES module).
 *
 * Turning it on asks the browser's permission to notify, subscribes this browser to Web Push
 * with the server's key (GET /api/v1/push/public-key/), and posts the subscription for this
 * demonstration (POST /api/v1/push-subscriptions/, docs/protocol.md "Web Push"); the id the
 * server gives is kept in this browser (localStorage) to turn it off again (DELETE). The
 * service worker (static/push/service_worker_push.js) shows what is pushed.
 * When the browser cannot or will not, the person is told why, in their words. */
import {gettext} from "../js/i18n.js";

const section = document.getElementById("push-toggle");

/* Per person and demonstration: the next person signed in on this browser starts with the
 * toggle off (their own subscriptions are not this one). */
function storageKey(event) {
  const user = document.querySelector('meta[name="parley-user"]');
  return "parley-push-" + (user ? user.content : "") + "-" + event;
}

function remembered(event) {
  try {
    return JSON.parse(window.localStorage.getItem(storageKey(event)) || "null");
  } catch (error) {
    return null;
  }
}

function remember(event, value) {
  try {
    if (value) {
      window.localStorage.setItem(storageKey(event), JSON.stringify(value));
    } else {
      window.localStorage.removeItem(storageKey(event));
    }
  } catch (error) {
    /* private mode: the toggle only forgets that it is on */
  }
}

/* The server's key (base64url) as the bytes pushManager.subscribe takes. */
function keyBytes(base64url) {
  const base64 = (base64url + "=".repeat((4 - base64url.length % 4) % 4))
    .replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(window.atob(base64), (c) => c.charCodeAt(0));
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/* Safari on an iPhone or iPad offers notifications only to Parley added to the Home Screen
 * and opened from there (iOS 16.4 on): in a tab it has no PushManager, and "this browser
 * cannot" would send the person away from what works. iPadOS says it is a Mac, with touch. */
function iosOutsideHomeScreen() {
  const agent = navigator.userAgent;
  const ios = /iPhone|iPad|iPod/.test(agent) ||
    (/Macintosh/.test(agent) && navigator.maxTouchPoints > 1);
  return ios && !navigator.standalone;
}

/** Raised when the browser's push service does not answer in time (a phone in a crowd, or
 * a browser with no push service): without it the button would wait for ever. */
class PushServiceSilent extends Error {}

/** `promise`, or PushServiceSilent after `ms`. */
function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = window.setTimeout(() => reject(new PushServiceSilent()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => window.clearTimeout(timer));
}

async function registration() {
  /* The worker is registered on every page (static/js/pwa.js); wait for it, not forever.
   * Registered again first (nothing happens if it is there): an install the network cut
   * short leaves no worker until something asks again. */
  navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(() => {});
  const timeout = new Promise((resolve) => window.setTimeout(() => resolve(null), 10000));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

function start() {
  if (!section) {
    return;
  }
  const event = Number(section.dataset.event);
  const status = document.getElementById("push-status");
  const button = document.getElementById("push-button");
  let busy = false;

  function show(text, buttonText) {
    status.textContent = text;
    button.hidden = !buttonText;
    if (buttonText) {
      button.textContent = buttonText;
    }
  }

  function showOff(text) {
    show(text || gettext("Get alerts, instructions, zones awaiting your agreement and changes of state on this phone while Parley is closed."),
      gettext("Notify me on this phone"));
    button.dataset.state = "off";
  }

  function showOn() {
    show(gettext("Notifications are on for this phone."), gettext("Turn off notifications on this phone"));
    button.dataset.state = "on";
  }

  async function currentSubscription() {
    const worker = await registration();
    return worker ? worker.pushManager.getSubscription() : null;
  }

  async function turnOn() {
    if (Notification.permission === "denied") {
      showOff(gettext("This browser blocks notifications from Parley: allow them in its site settings, then try again."));
      return;
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      showOff(gettext("Notifications were not allowed, so they stay off on this phone."));
      return;
    }
    const keyResponse = await fetch(section.dataset.keyUrl, {credentials: "same-origin",
      headers: {"Accept": "application/json"}});
    if (!keyResponse.ok) {
      showOff(gettext("Notifications are not set up on this server."));
      return;
    }
    const key = (await keyResponse.json()).key;
    const worker = await registration();
    if (!worker) {
      showOff(gettext("This browser cannot show notifications from Parley."));
      return;
    }
    let subscription = await worker.pushManager.getSubscription();
    if (!subscription) {
      subscription = await within(worker.pushManager.subscribe({userVisibleOnly: true,
        applicationServerKey: keyBytes(key)}), Number(section.dataset.subscribeTimeout) || 20000);
    }
    const response = await fetch(section.dataset.subscriptionsUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
        "X-CSRFToken": section.dataset.csrf},
      body: JSON.stringify(Object.assign(subscription.toJSON(), {event: event})),
    });
    if (!response.ok) {
      showOff(gettext("Notifications could not be turned on. Please try again."));
      return;
    }
    const saved = await response.json();
    remember(event, {id: saved.id, endpoint: subscription.endpoint});
    showOn();
  }

  async function turnOff() {
    const saved = remembered(event);
    if (saved) {
      const response = await fetch(section.dataset.subscriptionsUrl + saved.id + "/", {
        method: "DELETE", credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRFToken": section.dataset.csrf},
      });
      if (!response.ok && response.status !== 404) {
        showOn();
        status.textContent = gettext("Notifications could not be turned off. Please try again.");
        return;
      }
    }
    remember(event, null);
    showOff();
  }

  button.addEventListener("click", async () => {
    if (busy) {
      return;
    }
    const turningOn = button.dataset.state !== "on";
    if (!navigator.onLine) {
      // Nothing can be asked of the push service or the server without a network.
      status.textContent = turningOn
        ? gettext("You are offline: turn notifications on when the network is back.")
        : gettext("You are offline: turn notifications off when the network is back.");
      return;
    }
    busy = true;
    button.disabled = true;
    try {
      await (turningOn ? turnOn() : turnOff());
    } catch (error) {
      if (error instanceof PushServiceSilent) {
        showOff(gettext("This phone's push service does not answer, so notifications stay off. Please try again later."));
      } else if (error instanceof TypeError) {
        showOff(gettext("Parley cannot be reached: turn notifications on when the network is back."));
      } else {
        showOff(gettext("This browser refused to turn notifications on."));
      }
    } finally {
      busy = false;
      button.disabled = false;
    }
  });

  if (!supported()) {
    show(iosOutsideHomeScreen()
      ? gettext("On an iPhone or iPad, notifications work once Parley is on the Home Screen: in Safari, tap Share, then Add to Home Screen, and open Parley from its icon.")
      : gettext("This browser cannot show notifications from Parley."), null);
    return;
  }
  const saved = remembered(event);
  if (!saved || Notification.permission !== "granted") {
    showOff();
    return;
  }
  currentSubscription().then((subscription) => {
    if (subscription && subscription.endpoint === saved.endpoint) {
      showOn();
    } else {
      remember(event, null);
      showOff();
    }
  }, () => showOff());
}

start();
