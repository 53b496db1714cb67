/* Parley as an installed app, and its day's pack offline (docs/phones.md): registers the
 * service worker (/sw.js, its scope the whole site) on every page, and talks to it.
 *
 * - Tells it who is signed in (<meta name="parley-user">), so that it keeps that person's
 *   pages and drops anyone else's, and asks it to sync (drop what the person may no longer
 *   see) when the page opens, when the network comes back and every SYNC_EVERY_MS.
 * - Shows "Offline since 14:02" at the top of a page the worker served from its cache, or
 *   when the network goes while the page is open; when it is back, the banner goes and a
 *   page that came from the cache is loaded again from the server.
 * - Logging out empties the caches and every IndexedDB database of the site as the form
 *   goes (the server's Clear-Site-Data header does it too, where it is honoured).
 * - A live channel closed for good tells the worker: removed from the demonstration (4403,
 *   4404) drops its pack at once, logged out (4401) drops everything (static/js/socket.js).
 */

import {fill, gettext} from "./i18n.js";
import {formatTime} from "./time.js";

const SYNC_EVERY_MS = 5 * 60 * 1000;
/** How often a page shown from the cache checks whether the server is back. */
const PROBE_EVERY_MS = 15 * 1000;

const supported = "serviceWorker" in navigator;
const userMeta = document.querySelector('meta[name="parley-user"]');
const user = userMeta ? userMeta.content : null;
let fromCache = false;
let offlineSince = null;
let probe = null;

/* --- talking to the worker ----------------------------------------------------------------- */

function tell(message) {
  if (!supported) {
    return Promise.resolve();
  }
  if (navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage(message);  // now: the page may be leaving
    return Promise.resolve();
  }
  return navigator.serviceWorker.ready.then(function (registration) {
    const worker = navigator.serviceWorker.controller || registration.active;
    if (worker) {
      worker.postMessage(message);
    }
  });
}

/* Links the page marks `data-offline-keep` (the briefing sheet) are kept before they are
 * opened: the network may be gone by then. */
function keepLinked() {
  const urls = Array.from(document.querySelectorAll("a[data-offline-keep]"), function (link) {
    return link.href;
  });
  if (urls.length && navigator.onLine && user) {
    tell({type: "keep", user: user, urls: urls});
  }
}

function keepLoadedBefore(controlled) {
  const urls = [window.location.href];
  const before = function (entry) { return entry.startTime < controlled; };
  performance.getEntriesByType("resource").filter(before).forEach(function (entry) {
    urls.push(entry.name);
  });
  tell({type: "keep", user: user, always: true, urls: urls});
  if (window.PerformanceObserver) {
    const observer = new PerformanceObserver(function (list) {
      const late = list.getEntries().filter(before).map(function (entry) { return entry.name; });
      if (late.length) {
        tell({type: "keep", user: user, always: true, urls: late});
      }
    });
    observer.observe({type: "resource"});
    window.setTimeout(function () { observer.disconnect(); }, 30000);
  }
}

function sync() {
  if (navigator.onLine && !fromCache) {
    tell(user ? {type: "signed-in", user: user} : {type: "signed-out"});
  }
}

/* --- the banner ---------------------------------------------------------------------------- */

function banner() {
  let node = document.getElementById("offline-banner");
  if (!node) {
    node = document.createElement("p");
    node.id = "offline-banner";
    node.className = "offline-banner";
    node.setAttribute("role", "status");
    node.hidden = true;
    document.body.insertBefore(node, document.body.firstChild);
  }
  return node;
}

function showOffline(since) {
  offlineSince = offlineSince || since || Date.now();
  const node = banner();
  node.textContent = fromCache
    ? fill(gettext("Offline since %(time)s. This is the copy kept on this device; it is loaded again when the network is back."),
           {time: formatTime(offlineSince)})
    : fill(gettext("Offline since %(time)s. What you see may be out of date until the network is back."),
           {time: formatTime(offlineSince)});
  node.hidden = false;
  document.documentElement.classList.add("is-offline");
}

function backOnline() {
  if (fromCache) {
    window.location.reload();  // the page as the server has it now
    return;
  }
  offlineSince = null;
  banner().hidden = true;
  document.documentElement.classList.remove("is-offline");
  sync();
}

/* A page from the cache asks the server now and then whether it is back (a phone may say
 * it is online while the server cannot be reached). HEAD passes the worker by. */
function startProbe() {
  if (probe) {
    return;
  }
  probe = window.setInterval(function () {
    fetch(window.location.href, {method: "HEAD", cache: "no-store", credentials: "same-origin"})
      .then(function (response) {
        if (response.ok || response.status < 500) {
          backOnline();
        }
      }, function () { /* still offline */ });
  }, PROBE_EVERY_MS);
}

/* --- logging out --------------------------------------------------------------------------- */

function clearEverything() {
  const jobs = [];
  if (window.caches) {
    jobs.push(caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) { return caches.delete(name); }));
    }));
  }
  if (window.indexedDB && indexedDB.databases) {
    jobs.push(indexedDB.databases().then(function (list) {
      list.forEach(function (database) {
        if (database.name) {
          indexedDB.deleteDatabase(database.name);
        }
      });
    }));
  }
  jobs.push(tell({type: "signed-out"}));
  return Promise.all(jobs).catch(function () {});
}

document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.matches && form.matches("form[data-logout]")) {
    // Not held back: logging out goes as it always did. The clearing is under way in the
    // browser (and in the worker, which outlives this page) while the form is sent.
    clearEverything();
  }
});

/* --- the live channel closed for good ------------------------------------------------------- */

document.addEventListener("parley:socket-closed", function (event) {
  const detail = event.detail || {};
  const match = /^\/ws\/events\/(\d+)\//.exec(detail.path || "");
  if (detail.code === 4401) {
    tell({type: "signed-out"});
  } else if (match && (detail.code === 4403 || detail.code === 4404)) {
    tell({type: "forget-event", event: match[1]});
  }
});

/* --- starting --------------------------------------------------------------------------------- */

if (supported) {
  navigator.serviceWorker.addEventListener("message", function (event) {
    const data = event.data || {};
    if (data.parley !== "offline") {
      return;
    }
    if (data.type === "state") {
      fromCache = data.fromCache;
      if (fromCache || !navigator.onLine) {
        showOffline(data.offlineSince);
        if (fromCache) {
          startProbe();
        }
      } else {
        sync();
      }
    }
  });
  navigator.serviceWorker.startMessages();  // its answers come before the page has loaded
  navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
    if (navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({type: "hello", url: window.location.href});
    } else {
      sync();  // the first page: it came from the server
      // ...before the worker was there: once it is, it keeps what this page loaded, and
      // what the page had asked for before and gets only later.
      navigator.serviceWorker.addEventListener("controllerchange", function () {
        if (user) {
          keepLoadedBefore(performance.now());
        }
      }, {once: true});
    }
    keepLinked();
  }).catch(function () {
    /* no service worker (private mode, an old browser): the pages still work online */
  });
  window.setInterval(sync, SYNC_EVERY_MS);
}

window.addEventListener("offline", function () { showOffline(Date.now()); });
window.addEventListener("online", backOnline);
if (!navigator.onLine) {
  showOffline(Date.now());
}
