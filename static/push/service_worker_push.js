/* The service worker's Web Push part: shows an alert, an instruction, a zone awaiting
 * agreement or a change of state pushed while the page is closed, and answers the taps.
 * A classic worker script, imported by /sw.js (config/views.py, service_worker). */
/* global self */
"use strict";
