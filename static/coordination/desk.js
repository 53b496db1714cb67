/* Parley: the unit's desk keeps itself up to date (templates/coordination/desk.html).
 *
 * - A WebSocket to /ws/desk/ says, in a few words ({"type": "desk.changed", "event", "what"}),
 *   that something the desk shows has changed; the page then fetches its sections again
 *   (/desk/?partial=1), at most once a second however many notices arrive.
 * - After a reconnection the sections are fetched too: notices sent meanwhile are lost.
 * - The socket reconnects by itself with exponential back-off and jitter (at most ~30 s);
 *   it does not when the server says the person is logged out (4401) or not allowed (4403).
 */
(function () {
  "use strict";

  var sections = document.getElementById("desk-sections");
  var status = document.getElementById("desk-status");
  if (!sections || !status) {
    return;
  }
  var statusText = status.querySelector(".desk-status-text");
  var MIN_INTERVAL_MS = 1000;
  var MAX_BACKOFF_MS = 30000;
  var FINAL_CODES = {4401: "loggedOut", 4403: "loggedOut"};

  var ws = null;
  var attempts = 0;
  var lastFetch = 0;
  var fetchTimer = null;
  var fetching = false;
  var again = false;

  function word(name) {
    return status.dataset[name] || "";
  }

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

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setStatus("connecting", word("connecting"));
    try {
      ws = new WebSocket(scheme + window.location.host + sections.dataset.socketPath);
    } catch (error) {
      retry();
      return;
    }
    ws.onopen = function () {
      if (attempts > 0) {
        schedule(); // catch up on what happened while we were away
      }
      attempts = 0;
      setStatus("live", word("live"));
    };
    ws.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame && frame.type === "desk.changed") {
        schedule();
      }
    };
    ws.onclose = function (event) {
      ws = null;
      if (FINAL_CODES[event.code]) {
        setStatus("offline", word(FINAL_CODES[event.code]));
        return;
      }
      retry();
    };
  }

  function retry() {
    attempts += 1;
    var ceiling = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempts - 1));
    var delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
    // Said once, not counted down every second: the status is read out by screen readers.
    setStatus("offline", word("offline").replace("{seconds}", String(Math.ceil(delay / 1000))));
    setTimeout(connect, delay);
  }

  connect();
})();
