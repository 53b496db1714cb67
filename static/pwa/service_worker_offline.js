/* The service worker's offline part: the day's pack (pages, zones, briefing, contacts,
 * channel history and viewed map tiles) kept for when the network goes.
 * A classic worker script, imported by /sw.js (config/views.py, service_worker). */
/* global self */
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting(); // a new version takes over at once: nothing it keeps is page-specific
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});
