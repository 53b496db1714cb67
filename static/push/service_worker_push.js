/* The service worker's Web Push part: shows an alert, an instruction, a zone awaiting
 * agreement or a change of state pushed while the page is closed, and answers the taps.
 * A classic worker script, imported by /sw.js (config/views.py, service_worker).
 *
 * The payload (decrypted by the browser) is JSON written in its reader's language by the
 * server (push/notifications.py): title, body, url, tag, lang, and for an alert or an
 * instruction message_id, ack_label (the button's words: the worker has no catalog) and
 * ack_token. "Acknowledge" posts that token to /api/v1/push/acks/: the worker holds no
 * session or CSRF token, and the token is void once the phone's subscription is gone (turned
 * off, or its login ended), so a logged-out phone cannot acknowledge. */
/* global self, clients */

var PARLEY_PUSH = (function () {
  /* What showNotification is given for a payload. */
  function notificationFor(payload) {
    var options = {
      body: payload.body || "",
      tag: payload.tag || undefined,
      lang: payload.lang || undefined,
      renotify: Boolean(payload.tag),
      requireInteraction: payload.kind === "alert",
      data: {url: payload.url || "/", event: payload.event, message_id: payload.message_id,
             ack_token: payload.ack_token},
      actions: []
    };
    if (payload.message_id && payload.ack_token && payload.ack_label) {
      options.actions.push({action: "acknowledge", title: payload.ack_label});
    }
    return {title: payload.title || payload.reference || "Parley", options: options};
  }

  function show(payload) {
    var notification = notificationFor(payload);
    return self.registration.showNotification(notification.title, notification.options);
  }

  function acknowledge(data) {
    return fetch("/api/v1/push/acks/", {
      method: "POST",
      credentials: "omit",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({token: data.ack_token})
    });
  }

  /* Focus a window already showing the url, or open one. */
  function open(url) {
    var target = new URL(url || "/", self.location.origin);
    if (target.origin !== self.location.origin) {
      target = new URL("/", self.location.origin);  /* only ever our own pages */
    }
    return clients.matchAll({type: "window", includeUncontrolled: true}).then(function (list) {
      for (var i = 0; i < list.length; i += 1) {
        if (new URL(list[i].url).pathname === target.pathname && "focus" in list[i]) {
          return list[i].focus();
        }
      }
      return clients.openWindow ? clients.openWindow(target.href) : null;
    });
  }

  function click(notification, action) {
    var data = notification.data || {};
    notification.close();
    if (action === "acknowledge" && data.ack_token) {
      return acknowledge(data).then(function (response) {
        if (!response.ok) {
          return open(data.url);  /* could not: let the person acknowledge on the page */
        }
        return null;
      }, function () {
        return open(data.url);
      });
    }
    return open(data.url);
  }

  return {notificationFor: notificationFor, show: show, click: click};
}());

self.addEventListener("push", function (event) {
  var payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch (error) {
    payload = {};
  }
  event.waitUntil(PARLEY_PUSH.show(payload));
});

self.addEventListener("notificationclick", function (event) {
  event.waitUntil(PARLEY_PUSH.click(event.notification, event.action));
});
