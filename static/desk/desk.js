/* Parley: the unit's desk keeps itself up to date (templates/desk/desk.html; an ES
 * module).
 *
 * - A WebSocket to /ws/desk/ says, in a few words ({"type": "desk.changed", "event", "what"}),
 *   that something the desk shows has changed; the page then fetches its sections again
 *   (/desk/?partial=1), at most once a second however many notices arrive.
 * - After a reconnection the sections are fetched too: notices sent meanwhile are lost.
 * - The socket reconnects by itself (static/js/socket.js: back-off with jitter, at most
 *   ~30 s); it does not when the server says the person is logged out (4401) or not allowed
 *   (4403).
 */
import {fill, gettext} from "../js/i18n.js";
import {ReconnectingSocket} from "../js/socket.js";

function startDesk() {
  var sections = document.getElementById("desk-sections");
  var status = document.getElementById("desk-status");
  if (!sections || !status) {
    return;
  }
  var statusText = status.querySelector(".desk-status-text");
  var MIN_INTERVAL_MS = 1000;
  var MAX_BACKOFF_MS = 30000;
  var notConnected = gettext(
    "Not connected: log in again (as police or city) to see the desk live.");
  var FINAL_CODES = {4401: notConnected, 4403: notConnected};

  var lastFetch = 0;
  var fetchTimer = null;
  var fetching = false;
  var again = false;

  function setStatus(state, text) {
    status.dataset.status = state;
    statusText.textContent = text;
  }

  // --- fetching the sections ------------------------------------------------------------

  function openDetails() {
    var open = [];
    sections.querySelectorAll("details[id][open]").forEach(function (node) {
      open.push(node.id);
    });
    return open;
  }

  function refresh() {
    fetchTimer = null;
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    lastFetch = Date.now();
    var keepOpen = openDetails();
    fetch(sections.dataset.partialUrl, {
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"},
      cache: "no-store",
    }).then(function (response) {
      if (!response.ok || response.redirected) {
        throw new Error("desk: " + response.status);
      }
      return response.text();
    }).then(function (html) {
      // Our own server's template, every text escaped there.
      sections.innerHTML = html;
      keepOpen.forEach(function (id) {
        var node = document.getElementById(id);
        if (node) {
          node.open = true;
        }
      });
      sections.dataset.refreshedAt = String(Date.now());
    }).catch(function () {
      // The next notice or reconnection tries again.
    }).then(function () {
      fetching = false;
      if (again) {
        again = false;
        schedule();
      }
    });
  }

  function schedule() {
    if (fetchTimer !== null) {
      return; // one fetch is already due: it will show this change too
    }
    var wait = Math.max(0, lastFetch + MIN_INTERVAL_MS - Date.now());
    fetchTimer = setTimeout(refresh, wait);
  }

  // --- the socket -----------------------------------------------------------------------

  var socket = new ReconnectingSocket(sections.dataset.socketPath, {
    maxDelayMs: MAX_BACKOFF_MS,
    closeReasons: FINAL_CODES,
    onConnecting: function () {
      setStatus("connecting", gettext("Connecting…"));
    },
    onOpen: function (reconnected) {
      if (reconnected) {
        schedule(); // catch up on what happened while we were away
      }
      socket.settled();
      setStatus("live", gettext("Live: this page updates by itself"));
    },
    onFrame: function (frame) {
      if (frame && frame.type === "desk.changed") {
        schedule();
      }
    },
    onRetry: function (due) {
      // Said once, not counted down every second: the status is read out by screen readers.
      var seconds = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      setStatus("offline", fill(gettext("Offline: reconnecting in %(seconds)s s"), {seconds: seconds}));
    },
    onStop: function (reason) {
      setStatus("offline", reason);
    }
  });
  socket.start();
}

startDesk();
