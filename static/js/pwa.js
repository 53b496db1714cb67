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
 *   goes (the server's Clear-Site-Data header does it too, where it is honoured). Not
 *   offline: the page says to log out when the network is back, and how much is unsent.
 *   Online, what the live channel has not sent yet gets a moment to go; whatever is left is
 *   asked about first ("Log out anyway").
 * - The offline page (shown by the worker for a page it does not keep) lists the
 *   demonstrations kept on this phone, from the worker's caches.
 * - A live channel closed for good tells the worker: removed from the demonstration (4403,
 *   4404) drops its pack at once, logged out (4401) drops everything (static/js/socket.js).
 */

import {fill, gettext, ngettext} from "./i18n.js";
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
    tell(user ? {type: "signed-in", user: user, language: document.documentElement.lang}
         : {type: "signed-out"});
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

/** How long logging out waits for what the live channel still has to send (it usually goes
 * within a second) before asking whether to lose it. */
const LOGOUT_WAITS_MS = 2000;

/** What this person wrote or acknowledged that the server has not taken yet, on every
 * demonstration: {messages, acknowledgements}, from the live channel's outbox in IndexedDB
 * (static/messaging/device_store.js). Nothing when there is no such database. */
function unsent() {
  const none = {messages: 0, acknowledgements: 0};
  if (!window.indexedDB || !user) {
    return Promise.resolve(none);
  }
  return new Promise(function (resolve) {
    const opening = indexedDB.open("parley");
    // No database yet: do not create an empty one (the channel creates it with its stores).
    opening.onupgradeneeded = function () { opening.transaction.abort(); };
    opening.onerror = function () { resolve(none); };
    opening.onsuccess = function () {
      const db = opening.result;
      if (!db.objectStoreNames.contains("outbox")) {
        db.close();
        resolve(none);
        return;
      }
      const reading = db.transaction("outbox").objectStore("outbox").getAll();
      reading.onsuccess = function () {
        db.close();
        const counts = {messages: 0, acknowledgements: 0};
        reading.result.forEach(function (item) {
          if (String(item.user) === user) {
            counts[item.kind === "ack" ? "acknowledgements" : "messages"] += 1;
          }
        });
        resolve(counts);
      };
      reading.onerror = function () { db.close(); resolve(none); };
    };
  });
}

/** Waits (at most `ms`) until nothing is left to send; what is left then. */
function unsentAfter(ms) {
  const end = Date.now() + ms;
  return unsent().then(function check(left) {
    if ((left.messages + left.acknowledgements) === 0 || Date.now() >= end) {
      return left;
    }
    return new Promise(function (resolve) { window.setTimeout(resolve, 200); })
      .then(unsent).then(check);
  });
}

/** "2 messages and 1 acknowledgement are not sent yet." (and, `lost`, "… will be lost. Log out
 * anyway?"); nothing when everything is sent. */
function unsentText(left, lost) {
  const total = left.messages + left.acknowledgements;
  if (!total) {
    return "";
  }
  const messages = fill(ngettext("%(count)s message", "%(count)s messages", left.messages),
                        {count: left.messages});
  const acknowledgements = fill(ngettext("%(count)s acknowledgement", "%(count)s acknowledgements",
                                         left.acknowledgements), {count: left.acknowledgements});
  let what = messages;
  if (left.messages && left.acknowledgements) {
    what = fill(gettext("%(messages)s and %(acknowledgements)s"),
                {messages: messages, acknowledgements: acknowledgements});
  } else if (left.acknowledgements) {
    what = acknowledgements;
  }
  const sentence = lost
    ? ngettext("%(what)s is not sent yet and will be lost. Log out anyway?",
               "%(what)s are not sent yet and will be lost. Log out anyway?", total)
    : ngettext("%(what)s is not sent yet.", "%(what)s are not sent yet.", total);
  return fill(sentence, {what: what});
}

function logoutWarning(form, text) {
  let node = form.querySelector(".logout-warning");
  if (!node) {
    node = document.createElement("p");
    node.className = "logout-warning";
    node.setAttribute("role", "alert");
    form.appendChild(node);
  }
  node.textContent = text;
}

document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!(form.matches && form.matches("form[data-logout]"))) {
    return;
  }
  if (form.dataset.logoutAnyway === "yes" && navigator.onLine) {
    clearEverything();  // the person said so: what is unsent is lost
    return;
  }
  // Held back a moment: offline, logging out could not reach the server (the session would
  // stay) and would only wipe what is not sent yet; online, what is unsent gets its second.
  event.preventDefault();
  if (!navigator.onLine) {
    unsent().then(function (left) {
      logoutWarning(form, [gettext("You are offline: log out when the network is back."),
                           unsentText(left, false)].filter(Boolean).join(" "));
    });
    return;
  }
  unsentAfter(LOGOUT_WAITS_MS).then(function (left) {
    if (!navigator.onLine) {
      form.requestSubmit();
      return;
    }
    if ((left.messages + left.acknowledgements) === 0) {
      // Not held back any more: the clearing is under way in the browser (and in the
      // worker, which outlives this page) while the form is sent.
      clearEverything();
      form.submit();
      return;
    }
    form.dataset.logoutAnyway = "yes";
    const button = form.querySelector("button[type=submit], button:not([type])");
    if (button) {
      button.textContent = gettext("Log out anyway");
    }
    logoutWarning(form, unsentText(left, true));
  });
});

/* --- the live channel closed for good ------------------------------------------------------- */

document.addEventListener("parley:socket-closed", function (event) {
  const detail = event.detail || {};
  const match = /^\/ws\/events\/(\d+)\//.exec(detail.path || "");
  if (detail.code === 4401) {
    tell({type: "signed-out"});
  } else if (match && (detail.code === 4403 || detail.code === 4404)) {
    tell({type: "forget-event", event: match[1], user: user});
  }
});

/* --- the offline page: the demonstrations kept on this phone -------------------------------- */

/** The demonstration's name as its kept page shows it (its heading). */
function titleOf(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  const heading = page.querySelector("h1");
  return (heading ? heading.textContent : page.title).replace(/\s+/g, " ").trim();
}

/** On the offline page (templates/offline.html): a link to each demonstration whose page
 * this person's pack holds (Cache Storage, parley-u<user>-e<id>). */
function listKept() {
  const list = document.getElementById("offline-kept");
  if (!list || !window.caches || !user) {
    return;
  }
  const pattern = new RegExp("^parley-u" + user + "-e(\\d+)$");
  caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      const match = pattern.exec(name);
      if (!match) {
        return null;
      }
      const path = "/events/" + match[1] + "/";
      return caches.open(name).then(function (cache) {
        return cache.match(path, {ignoreVary: true});
      }).then(function (copy) {
        return copy ? copy.text().then(function (html) { return {path: path, title: titleOf(html)}; }) : null;
      });
    }));
  }).then(function (found) {
    const kept = found.filter(Boolean).sort(function (a, b) { return a.title.localeCompare(b.title); });
    kept.forEach(function (event) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = event.path;
      link.textContent = event.title;
      item.appendChild(link);
      list.appendChild(item);
    });
    const none = document.getElementById("offline-kept-none");
    if (none) {
      none.hidden = kept.length > 0;
    }
  }).catch(function () { /* nothing to list */ });
}

listKept();

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
