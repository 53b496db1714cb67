/* The service worker's offline part: the day's pack (pages, zones, briefing, contacts,
 * channel history and viewed map tiles) kept for when the network goes.
 * A classic worker script, imported by /sw.js (config/views.py, service_worker).
 *
 * What it keeps, in Cache Storage, only for a person signed in (the server says whose each
 * answer is: the X-Parley-User header, coordination/accounts/middleware.py):
 *   parley-u<user>-e<event>  that person's answers about one demonstration: its page (the
 *                            operations screen, with the contacts they may see), its
 *                            briefing sheet (PDF) and the API reads its page makes (the
 *                            demonstration, its zones, incidents, clashes, channel history);
 *                            network first, the copy only when the network fails or is slower
 *                            than NETWORK_TIMEOUT_MS;
 *   parley-u<user>-pages     the offline page (/offline/), shown for any page not kept when
 *                            the network is gone;
 *   parley-u<user>-tiles     the map tiles they looked at, at most TILE_CAP (the least
 *                            recently used go first);
 *   parley-static            the page scripts, styles and images (/static/) and the
 *                            translations (/i18n/catalog/): hashed names stale-while-revalidate,
 *                            the rest network first;
 *   parley-meta              who is signed in, and since when the network is gone.
 * Nothing else: never a POST, never /accounts/, /admin/, /api/v1/auth/, the desk, the review.
 * It is all dropped when someone else signs in, on logout (static/js/pwa.js and the
 * Clear-Site-Data header), when the server no longer knows the person (401), and event by
 * event when they may no longer see a demonstration (sync) or are removed from it (the page
 * says so: "forget-event"). docs/phones.md, "What phones keep offline, and when it is cleared".
 */
/* global self, caches, indexedDB */

(function () {
  var PREFIX = "parley-";
  var USER_PREFIX = "parley-u";
  var STATIC_CACHE = "parley-static";
  var META_CACHE = "parley-meta";
  var META_KEY = "/__parley/offline-state";
  /** The most map tiles kept for a person: counted, not weighed, as tiles from another site
   * are opaque (their size is unknown to the page); 500 tiles of 256 px are about 10 MB. */
  var TILE_CAP = 500;
  /** How long a page or an API read may take before the kept copy is shown instead (the
   * answer still lands in the cache when it comes). A briefing sheet is drawn on demand and
   * may take longer. */
  var NETWORK_TIMEOUT_MS = 6000;
  var PDF_TIMEOUT_MS = 15000;
  var USER_HEADER = "X-Parley-User";
  /** What the worker shows for a page it does not keep when the network is gone (kept in
   * parley-u<user>-pages when someone signs in, in the language it was served in). */
  var OFFLINE_PAGE = "/offline/";
  /** The live channel's database and stores (static/messaging/device_store.js). */
  var CHANNEL_DATABASE = "parley";
  var CHANNEL_STORES = ["outbox", "history"];

  /** The addresses kept for a demonstration, each with its id in the first group. */
  var EVENT_ADDRESSES = [
    /^\/events\/(\d+)\/$/,
    /^\/events\/(\d+)\/briefing\.pdf$/,
    /^\/api\/v1\/events\/(\d+)\/$/,
    /^\/api\/v1\/events\/(\d+)\/zones\.geojson$/,
    /^\/api\/v1\/events\/(\d+)\/(?:zones|incidents|conflicts|messages|members)\/$/
  ];
  /** Hashed static names (ManifestStaticFilesStorage): "operations.1a2b3c4d5e6f.js". */
  var HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

  /* --- what the worker remembers (in parley-meta: a worker may be stopped at any time) -- */

  var state = null;  // {user: "12" | null, offlineSince: ms | null}
  /** Counts the times everything was dropped: an answer asked for before then is not kept
   * when it comes after (it would bring back what a logout cleared). */
  var generation = 0;
  /** Pages (client ids) whose page came from the cache, with the time the network went. */
  var fromCache = {};

  function loadState() {
    if (state) {
      return Promise.resolve(state);
    }
    return caches.open(META_CACHE).then(function (cache) {
      return cache.match(META_KEY);
    }).then(function (response) {
      return response ? response.json() : {};
    }).catch(function () {
      return {};
    }).then(function (saved) {
      state = state || {user: saved.user || null, offlineSince: saved.offlineSince || null};
      return state;
    });
  }

  function saveState() {
    var body = JSON.stringify(state);
    return caches.open(META_CACHE).then(function (cache) {
      return cache.put(META_KEY, new Response(body, {headers: {"Content-Type": "application/json"}}));
    });
  }

  function userCache(user, what) {
    return USER_PREFIX + user + "-" + what;
  }

  function eventCache(user, eventId) {
    return userCache(user, "e" + eventId);
  }

  /* --- dropping what is kept ----------------------------------------------------------- */

  function deleteCaches(test) {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(test).map(function (name) {
        return caches.delete(name);
      }));
    });
  }

  /** Everything: every cache and every IndexedDB database of this site (the channel's
   * outbox and history among them). A database a page still holds open goes when the page
   * lets it go. */
  function forgetEverything() {
    state = {user: null, offlineSince: null};
    generation += 1;
    fromCache = {};
    var databases = (indexedDB && indexedDB.databases) ? indexedDB.databases().then(function (list) {
      list.forEach(function (database) {
        if (database.name) {
          indexedDB.deleteDatabase(database.name);
        }
      });
    }).catch(function () {}) : Promise.resolve();
    return Promise.all([deleteCaches(function (name) { return name.indexOf(PREFIX) === 0; }), databases]);
  }

  /** One demonstration, for every person: its page, briefing and API reads, and what its
   * live channel keeps in IndexedDB (its history, and its outbox: an unsent message must not
   * go if the person is added again later): `user`'s records, or everyone's when unknown. */
  function forgetEvent(eventId, user) {
    var suffix = "-e" + eventId;
    // An answer already on its way (the map's zones, the briefing) must not bring the cache
    // back: whatever was asked before now is not kept (at worst another event's answer is
    // not kept this once; the next visit keeps it).
    generation += 1;
    return Promise.all([deleteCaches(function (name) {
      return name.indexOf(USER_PREFIX) === 0 && name.slice(-suffix.length) === suffix;
    }), forgetChannelRecords(eventId, user)]);
  }

  /** The live channel's records of one demonstration (static/messaging/device_store.js:
   * database "parley", stores "outbox" and "history", each record with its `user` and
   * `event`): `user`'s, or everyone's when `user` is not known. */
  function forgetChannelRecords(eventId, user) {
    if (!indexedDB) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var opening = indexedDB.open(CHANNEL_DATABASE);
      // No database yet: nothing to forget, and the page creates it with its stores.
      opening.onupgradeneeded = function () { opening.transaction.abort(); };
      opening.onerror = function () { resolve(); };
      opening.onblocked = function () { resolve(); };
      opening.onsuccess = function () {
        var db = opening.result;
        db.onversionchange = function () { db.close(); };
        var names = CHANNEL_STORES.filter(function (name) {
          return db.objectStoreNames.contains(name);
        });
        if (!names.length) {
          db.close();
          resolve();
          return;
        }
        var tx = db.transaction(names, "readwrite");
        names.forEach(function (name) {
          var walking = tx.objectStore(name).openCursor();
          walking.onsuccess = function () {
            var cursor = walking.result;
            if (cursor) {
              var record = cursor.value;
              if (String(record.event) === String(eventId) &&
                  (!user || String(record.user) === String(user))) {
                cursor.delete();
              }
              cursor.continue();
            }
          };
        });
        tx.oncomplete = tx.onerror = tx.onabort = function () {
          db.close();
          resolve();
        };
      };
    });
  }

  /** The server answered for `user`: if someone else was signed in here, nothing of theirs
   * stays (not even what is not theirs alone: the static files are fetched again). */
  function signedIn(user) {
    return loadState().then(function () {
      if (state.user === user) {
        return null;
      }
      var previous = state.user;
      state.user = user;
      var saving = saveState();
      if (previous === null) {
        return saving;
      }
      return Promise.all([saving, deleteCaches(function (name) {
        return name.indexOf(PREFIX) === 0 && name !== META_CACHE &&
          name.indexOf(USER_PREFIX + user + "-") !== 0;
      })]);
    });
  }

  /** Whether what is kept may still grow: nothing was dropped since `since`, and nobody
   * emptied the site's storage behind the worker's back (Clear-Site-Data on logout removes
   * parley-meta, which is there whenever someone is signed in). */
  function mayKeep(since) {
    return loadState().then(function () {
      if (since !== generation) {
        return false;
      }
      if (state.user === null) {
        return true;
      }
      return caches.has(META_CACHE).then(function (intact) {
        if (!intact) {
          state = {user: null, offlineSince: null};
          generation += 1;
        }
        return intact;
      });
    });
  }

  function networkWorks() {
    if (state && state.offlineSince) {
      state.offlineSince = null;
      return saveState();
    }
    return Promise.resolve();
  }

  function networkFailed() {
    return loadState().then(function () {
      if (!state.offlineSince) {
        state.offlineSince = Date.now();
        return saveState();
      }
      return null;
    });
  }

  /* --- fetching --------------------------------------------------------------------------- */

  /** The network's answer, or a failure after `ms` (the fetch itself goes on). */
  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (value) {
        clearTimeout(timer);
        resolve(value);
      }, function (error) {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  function keepable(response) {
    // A page that redirects (to the login page) or an error is never kept. Kept although
    // the pages say "no-store": keeping the day's pack on the phone is the point, and it
    // stays in this person's own cache until the rules above drop it (docs/phones.md).
    return response && response.status === 200 && response.type === "basic" && !response.redirected;
  }

  /** Whether `request` asks for the demonstration itself (its page, or its API record). */
  function isTheEvent(request) {
    var path = new URL(request.url).pathname;
    return /^\/events\/\d+\/$/.test(path) || /^\/api\/v1\/events\/\d+\/$/.test(path);
  }

  function eventIdOf(url) {
    for (var i = 0; i < EVENT_ADDRESSES.length; i++) {
      var match = EVENT_ADDRESSES[i].exec(url.pathname);
      if (match) {
        return match[1];
      }
    }
    return null;
  }

  /** A demonstration's page or API read: the network first, its kept copy when the network
   * fails (or takes too long). */
  function dayPack(fetchEvent, eventId, url) {
    var request = fetchEvent.request;
    var timeout = /\.pdf$/.test(url.pathname) ? PDF_TIMEOUT_MS : NETWORK_TIMEOUT_MS;
    var since = generation;
    var network = fetch(request);
    var stored = network.then(function (response) {
      // A copy now, before the page reads the body (this runs first: registered first).
      return answered(eventId, request, response.clone(), since);
    }, function () { return null; });
    fetchEvent.waitUntil(stored);
    return withTimeout(network, timeout).then(function (response) {
      return response;
    }, function (error) {
      return loadState().then(function () {
        if (!state.user) {
          throw error;
        }
        return caches.open(eventCache(state.user, eventId)).then(function (cache) {
          return cache.match(request, {ignoreVary: true});
        });
      }).then(function (copy) {
        if (!copy) {
          // Nothing kept: the answer when it comes, or the failure (a page: the offline page).
          return request.mode === "navigate" ? network.catch(function (failure) {
            return offlinePage(fetchEvent, failure);
          }) : network;
        }
        return networkFailed().then(function () {
          if (request.mode === "navigate") {
            fromCache[fetchEvent.resultingClientId || url.href] = state.offlineSince;
          }
          return copy;
        });
      });
    });
  }

  /** What an answer from the server means for what is kept. */
  function answered(eventId, request, response, since) {
    var user = response.headers.get(USER_HEADER);
    return networkWorks().then(function () {
      if (response.type === "opaqueredirect" || response.status === 401) {
        // Sent to the login page: nobody is signed in any more.
        return forgetEverything();
      }
      if ((response.status === 403 || response.status === 404) && isTheEvent(request)) {
        // The demonstration itself refused: the person may no longer see it. (A part of it
        // refused — a list their role does not read — only is not kept.)
        return forgetEvent(eventId, user);
      }
      if (!user || !keepable(response)) {
        return null;
      }
      return mayKeep(since).then(function (may) {
        if (!may) {
          return null;
        }
        return signedIn(user).then(function () {
          return caches.open(eventCache(user, eventId));
        }).then(function (cache) {
          return since === generation ? cache.put(request, response) : null;
        });
      });
    });
  }

  /** Static files and the translations, kept only while someone is signed in. */
  function staticFile(fetchEvent, url) {
    var request = fetchEvent.request;
    var since = generation;
    return loadState().then(function () {
      var user = state.user;
      return caches.open(STATIC_CACHE).then(function (cache) {
        return cache.match(request, {ignoreVary: true}).then(function (copy) {
          var network = fetch(request).then(function (response) {
            if (user && keepable(response)) {
              var copy = response.clone();
              fetchEvent.waitUntil(mayKeep(since).then(function (may) {
                return may ? cache.put(request, copy) : null;
              }));
            }
            return response;
          });
          fetchEvent.waitUntil(network.catch(function () {}));
          if (copy && HASHED.test(url.pathname)) {
            return copy;  // stale-while-revalidate: a hashed name never changes
          }
          return network.catch(function (error) {
            if (copy) {
              return copy;
            }
            throw error;
          });
        });
      });
    });
  }

  /** Map tiles (images from another site): the kept copy first, else the network; the
   * least recently used go beyond TILE_CAP. */
  function tile(fetchEvent) {
    var request = fetchEvent.request;
    return loadState().then(function () {
      if (!state.user) {
        return fetch(request);
      }
      return caches.open(userCache(state.user, "tiles")).then(function (cache) {
        return cache.match(request).then(function (copy) {
          if (copy) {
            // Put again: the keys keep the order they were put in, the oldest first.
            fetchEvent.waitUntil(cache.delete(request).then(function () {
              return cache.put(request, copy.clone());
            }).catch(function () {}));
            return copy;
          }
          var since = generation;
          return fetch(request).then(function (response) {
            if (response.type === "opaque" || response.ok) {
              var copy = response.clone();
              fetchEvent.waitUntil(mayKeep(since).then(function (may) {
                return may ? cache.put(request, copy).then(function () { return trimTiles(cache); }) : null;
              }).catch(function () {}));
            }
            return response;
          });
        });
      });
    });
  }

  function trimTiles(cache) {
    return cache.keys().then(function (keys) {
      var extra = keys.length - TILE_CAP;
      return Promise.all(keys.slice(0, Math.max(0, extra)).map(function (key) {
        return cache.delete(key);
      }));
    });
  }

  /** Paths never touched: the network as if there were no worker. */
  var NEVER = /^\/(?:accounts|admin|desk|api\/v1\/auth|api\/v1\/ws-tickets)\//;

  self.addEventListener("fetch", function (fetchEvent) {
    var request = fetchEvent.request;
    if (request.method !== "GET") {
      return;
    }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) {
      if (request.destination === "image" && url.protocol === "https:") {
        fetchEvent.respondWith(tile(fetchEvent));
      }
      return;
    }
    if (NEVER.test(url.pathname)) {
      return;
    }
    if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/i18n/catalog/") === 0) {
      fetchEvent.respondWith(staticFile(fetchEvent, url));
      return;
    }
    var eventId = eventIdOf(url);
    if (eventId !== null) {
      fetchEvent.respondWith(dayPack(fetchEvent, eventId, url));
    } else if (request.mode === "navigate") {
      fetchEvent.respondWith(pageOrOffline(fetchEvent));
    }
  });

  /** A page the worker does not keep: the network's, as if there were no worker; when the
   * network fails, the offline page rather than the browser's error. */
  function pageOrOffline(fetchEvent) {
    return fetch(fetchEvent.request).catch(function (failure) {
      return offlinePage(fetchEvent, failure);
    });
  }

  /** The offline page kept for the person signed in (marked as from the cache: the page says
   * "Offline since …" and loads the address again when the network is back); `failure` when
   * none is kept. */
  function offlinePage(fetchEvent, failure) {
    return loadState().then(function () {
      if (!state.user) {
        throw failure;
      }
      // caches.match, not caches.open: opening would make an empty cache.
      return caches.match(OFFLINE_PAGE, {cacheName: userCache(state.user, "pages"), ignoreVary: true});
    }).then(function (copy) {
      if (!copy) {
        throw failure;
      }
      return networkFailed().then(function () {
        fromCache[fetchEvent.resultingClientId || fetchEvent.request.url] = state.offlineSince;
        return copy;
      });
    });
  }

  /** Keep the offline page for `user`, again when it is old or in another language than the
   * pages now read (`language`, as the server said it: Content-Language). */
  function keepOfflinePage(user, language) {
    var since = generation;
    var name = userCache(user, "pages");
    // The cache is opened only to put the page: opening makes it, and a cache made after a
    // logout emptied the storage would outlive it.
    return caches.match(OFFLINE_PAGE, {cacheName: name, ignoreVary: true}).then(function (copy) {
      if (copy && fresh(copy) && (!language || copy.headers.get("Content-Language") === language)) {
        return null;
      }
      return fetch(OFFLINE_PAGE, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
        if (!keepable(response) || response.headers.get(USER_HEADER) !== user) {
          return null;
        }
        return mayKeep(since).then(function (may) {
          if (!may || state.user !== user) {
            return null;
          }
          return caches.open(name).then(function (cache) {
            return since === generation ? cache.put(OFFLINE_PAGE, response) : null;
          });
        });
      });
    }).catch(function () {});
  }

  /* --- syncing: dropping what the person may no longer see ------------------------------ */

  /** Ask the server, for each demonstration kept, whether this person may still read its
   * live channel: a pack holds what a member sees (the contacts, the channel's history), so
   * it is kept only while they are one. The smallest read of the channel tells: 403 or 404
   * when they are no longer a member (or no longer see the demonstration at all), 401 when
   * nobody is signed in any more. */
  function sync() {
    return loadState().then(function () {
      var user = state.user;
      if (!user) {
        return null;
      }
      var mine = USER_PREFIX + user + "-e";
      return caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf(mine) === 0;
        }).map(function (name) {
          var eventId = name.slice(mine.length);
          return fetch("/api/v1/events/" + eventId + "/messages/?limit=1", {
            credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}
          }).then(function (response) {
            if (response.status === 401) {
              return "signed out";
            }
            if (response.status === 403 || response.status === 404) {
              return Promise.all([caches.delete(name), forgetChannelRecords(eventId, user)]);
            }
            var who = response.headers.get(USER_HEADER);
            return who && who !== user ? "someone else" : null;
          }, function () {
            return null;  // no network: keep everything until it is back
          });
        }));
      }).then(function (results) {
        if (results.indexOf("signed out") !== -1 || results.indexOf("someone else") !== -1) {
          return forgetEverything();
        }
        return null;
      });
    });
  }

  /* --- keeping what a page asks for ------------------------------------------------------- */

  /** A kept copy younger than this is not fetched again when a page asks to keep it (the
   * briefing sheet, drawn on demand, is asked for by every visit to its demonstration). */
  var KEEP_FRESH_MS = 10 * 60 * 1000;

  function fresh(copy) {
    var date = copy && Date.parse(copy.headers.get("Date") || "");
    return Boolean(date) && Date.now() - date < KEEP_FRESH_MS;
  }

  /** Fetch and keep `href` as if the page had asked for it through the worker: what the
   * first page loaded before the worker was there, and the briefing sheet it links to. */
  function keep(href, always) {
    var url = new URL(href, self.location.origin);
    if (url.origin !== self.location.origin || NEVER.test(url.pathname)) {
      return Promise.resolve();
    }
    var request = new Request(url.href, {credentials: "same-origin"});
    var eventId = eventIdOf(url);
    var isStatic = url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/i18n/catalog/") === 0;
    if (eventId === null && !isStatic) {
      return Promise.resolve();
    }
    var since = generation;
    return loadState().then(function () {
      var user = state.user;
      if (!user) {
        return null;
      }
      var name = isStatic ? STATIC_CACHE : eventCache(user, eventId);
      return caches.open(name).then(function (cache) {
        return cache.match(request, {ignoreVary: true}).then(function (copy) {
          if (copy && (isStatic || (!always && fresh(copy)))) {
            return null;
          }
          return fetch(request).then(function (response) {
            if (isStatic) {
              return keepable(response) ? mayKeep(since).then(function (may) {
                return may ? cache.put(request, response) : null;
              }) : null;
            }
            return answered(eventId, request, response, since);
          });
        });
      });
    }).catch(function () {});
  }

  /* --- what the pages say (static/js/pwa.js) ---------------------------------------------- */

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    var source = event.source;
    var reply = function (message) {
      if (source && source.postMessage) {
        source.postMessage(Object.assign({parley: "offline"}, message));
      }
    };
    var work;
    if (data.type === "hello") {
      // A page asks whether it came from the cache, and since when the network is gone.
      work = loadState().then(function () {
        var key = source && source.id in fromCache ? source.id : data.url;
        var since = fromCache[key];
        delete fromCache[key];
        reply({type: "state", fromCache: since !== undefined,
               offlineSince: since || state.offlineSince || null});
      });
    } else if (data.type === "signed-out") {
      work = forgetEverything().then(function () { reply({type: "forgotten"}); });
    } else if (data.type === "signed-in" && data.user) {
      work = signedIn(String(data.user)).then(sync).then(function () {
        return state.user === String(data.user) ? keepOfflinePage(state.user, data.language) : null;
      }).then(function () { reply({type: "synced"}); });
    } else if (data.type === "sync") {
      work = sync().then(function () { reply({type: "synced"}); });
    } else if (data.type === "keep" && Array.isArray(data.urls)) {
      work = (data.user ? signedIn(String(data.user)) : Promise.resolve()).then(function () {
        return Promise.all(data.urls.map(function (href) {
          return keep(href, Boolean(data.always));
        }));
      }).then(function () { reply({type: "kept"}); });
    } else if (data.type === "forget-event" && data.event) {
      work = forgetEvent(String(data.event), data.user ? String(data.user) : null).then(function () { reply({type: "forgotten"}); });
    } else {
      return;
    }
    event.waitUntil(work.catch(function () {}));
  });

  self.addEventListener("install", function () {
    self.skipWaiting(); // a new version takes over at once: nothing it keeps is page-specific
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(self.clients.claim());
  });
})();
