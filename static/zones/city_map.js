/* Parley: the city-wide map for police and city (templates/zones/city_map.html).
 *
 * Configuration comes from <script id="city-map-config" type="application/json">
 * (zones/city_map.py: API addresses, kind labels and colours — the colours are
 * zones/styles.py's, the same as the printed briefing sheet's), the words from the
 * JavaScript catalog (static/js/i18n.js; this is an ES module). Choosing a moment (the date-and-time field or
 * the slider over the coming days) reloads, without reloading the page:
 *   GET events_url?active_at=…  → demonstrations under way and their clashes
 *   GET zones_url?active_at=…   → zones in force (the zones API)
 * Nothing here writes; every text from the server is set as text, never as HTML.
 */
import {el, popup} from "../js/dom.js";
import {fill, gettext} from "../js/i18n.js";
import {formatSpan, formatTime, fromLocalInput, toLocalInput} from "../js/time.js";

function startCityMap() {
  var config = JSON.parse(document.getElementById("city-map-config").textContent);
  var colours = config.colours;
  var STEP_MS = config.slider_step_minutes * 60 * 1000;

  var map = null;
  var layers = {};
  var loaded = null;        // the last answer: {at, events, zones, clashes}
  var pending = null;       // the AbortController of the request in flight
  var fitted = false;       // whether the map was framed around what it shows
  var sliderStart = null;   // the slider's 0, on a step boundary at or before now

  // --- small helpers ------------------------------------------------------------------

  /* From when to when, "always" for an end left open. */
  function period(start, end) {
    if (start && end) {
      return formatSpan(start, end);  // the date once when both ends fall on one day
    }
    return fill(gettext("%(start)s to %(end)s"), {
      start: formatTime(start) || gettext("always"), end: formatTime(end) || gettext("always")});
  }

  function kindColour(kind) {
    return colours.kinds[kind] || "#52525b";
  }

  function popupOf(title, rows, link) {
    var box = popup("city-map-popup", title, rows);
    if (link) {
      var a = el("a", null, gettext("Open the demonstration"));
      a.href = link;
      box.appendChild(a);
    }
    return box;
  }

  // --- drawing ------------------------------------------------------------------------

  function zoneStyle(feature) {
    var p = feature.properties;
    var colour = kindColour(p.kind);
    if (p.kind === "sensitive_site") {
      return {color: colour, weight: 2, dashArray: "2 5", fillColor: colour, fillOpacity: 0.12};
    }
    var proposed = p.status !== "agreed";
    return {color: colour, weight: 2, dashArray: proposed ? "6 4" : null,
            fillColor: colour, fillOpacity: proposed ? 0.1 : 0.25};
  }

  function zonePopup(p) {
    var agreed = (p.agreements || []).map(function (a) {
      return a.name + " (" + a.party + ")";
    }).join(", ");
    return popupOf(p.label || config.kinds[p.kind] || p.kind, [
      [gettext("Kind"), config.kinds[p.kind] || p.kind],
      [gettext("Status"), config.statuses[p.status] || p.status],
      [gettext("In force"), p.valid_from || p.valid_to
        ? period(p.valid_from, p.valid_to) : gettext("always")],
      [gettext("Conditions"), p.conditions],
      [gettext("Agreed by"), p.kind === "sensitive_site" ? null : (agreed || gettext("nobody yet"))]
    ]);
  }

  function clashText(clash, names) {
    var kind = {overlap: gettext("overlap"), too_close: gettext("too close"),
                sensitive_site: gettext("near a sensitive site")}[clash.kind] || clash.kind;
    var parts = clash.events.map(function (id) { return names[id] || ("#" + id); });
    if (clash.zone !== null && clash.zone !== undefined) {
      parts.push(names["zone:" + clash.zone] || gettext("Sensitive site"));
    }
    var text = parts.join(" ↔ ") + ": " + kind;
    if (clash.distance_m > 0) {
      text += ", " + fill(gettext("%(metres)s m apart"), {metres: Math.round(clash.distance_m)});
    }
    if (clash.counter) { text += " (" + gettext("counter-demonstration") + ")"; }
    return text;
  }

  function draw() {
    if (!map || !loaded) { return; }
    var highlight = document.getElementById("city-map-clashes").checked;
    Object.keys(layers).forEach(function (name) { layers[name].clearLayers(); });

    var events = loaded.events.features;
    var shown = {};
    var names = {};
    var assembly = {};
    events.forEach(function (f) {
      shown[f.id] = true;
      names[f.id] = f.properties.reference;
    });

    // Zones of demonstrations not on the map (drafts, cancelled ones) are left out.
    var zones = loaded.zones.features.filter(function (z) {
      return z.properties.event === null || shown[z.properties.event];
    });
    var clashSites = {};
    loaded.clashes.forEach(function (c) {
      if (c.zone !== null && c.zone !== undefined) { clashSites[c.zone] = true; }
    });
    zones.forEach(function (z) {
      if (z.properties.kind === "sensitive_site") {
        names["zone:" + z.id] = z.properties.label || gettext("Sensitive site");
      }
    });
    L.geoJSON({type: "FeatureCollection", features: zones}, {
      style: function (f) {
        var style = zoneStyle(f);
        if (highlight && clashSites[f.id]) {
          style.color = colours.clash;
          style.weight = 4;
        }
        return style;
      },
      onEachFeature: function (f, layer) { layer.bindPopup(zonePopup(f.properties)); }
    }).addTo(layers.zones);

    events.forEach(function (f) {
      var p = f.properties;
      var clashing = highlight && p.clashes;
      var geometries = f.geometry ? f.geometry.geometries : [];
      var pointIndex = 0;
      geometries.forEach(function (g) {
        var layer;
        if (g.type === "LineString") {
          if (clashing) {
            L.polyline(g.coordinates.map(function (c) { return [c[1], c[0]]; }),
                       {color: colours.clash, weight: 10, opacity: 0.45}).addTo(layers.clashes);
          }
          layer = L.polyline(g.coordinates.map(function (c) { return [c[1], c[0]]; }), {
            color: colours.route, weight: 4, opacity: 0.9,
            dashArray: p.state === "agreed" || p.state === "live" ? null : "8 6"
          });
        } else if (g.type === "Point") {
          // Assembly point first, then the dispersal point (zones/city_map.py).
          var isAssembly = pointIndex === 0;
          pointIndex += 1;
          var latlng = [g.coordinates[1], g.coordinates[0]];
          if (isAssembly) { assembly[f.id] = latlng; }
          if (clashing) {
            L.circleMarker(latlng, {radius: 15, color: colours.clash, weight: 4, fill: false})
              .addTo(layers.clashes);
          }
          var colour = isAssembly ? colours.assembly_point : colours.dispersal_point;
          layer = L.circleMarker(latlng, {radius: isAssembly ? 9 : 7, color: "#ffffff",
                                          weight: 2, fillColor: colour, fillOpacity: 0.95});
        }
        if (layer) {
          layer.bindPopup(popupOf(p.reference + " " + p.title, [
            [gettext("Kind"), p.kind_label],
            [gettext("State"), p.state_label],
            [gettext("Times"), period(p.starts_at, p.ends_at)]
          ], p.url));
          layer.addTo(layers.events);
        }
      });
    });

    // A dashed line joins two demonstrations that clash.
    if (highlight) {
      loaded.clashes.forEach(function (c) {
        if (c.events.length === 2 && assembly[c.events[0]] && assembly[c.events[1]]) {
          L.polyline([assembly[c.events[0]], assembly[c.events[1]]], {
            color: colours.clash, weight: 3, dashArray: "4 6"
          }).bindPopup(el("span", null, clashText(c, names))).addTo(layers.clashes);
        }
      });
    }

    listEvents(events, names);
    listClashes(names);
    document.getElementById("city-map-status").textContent = fill(gettext(
      "At %(when)s — demonstrations under way: %(events)s; zones in force: %(zones)s; clashes: %(clashes)s."), {
      when: formatTime(loaded.at) || gettext("always"), events: events.length, zones: zones.length,
      clashes: loaded.clashes.length
    });

    // Framed once, on the first moment with a demonstration (the standing sensitive sites
    // alone would frame a corner of the city); then the view is the user's.
    if (!fitted && events.length) {
      var bounds = L.featureGroup([layers.zones, layers.events]).getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds, {padding: [30, 30], maxZoom: 16, animate: false});
        fitted = true;
      }
    }
  }

  function listEvents(events, names) {
    var list = document.getElementById("city-map-events");
    list.replaceChildren();
    if (!events.length) {
      list.appendChild(el("li", null, gettext("No demonstration is under way at this time.")));
      return;
    }
    events.forEach(function (f) {
      var p = f.properties;
      var item = el("li");
      var a = el("a", null, p.reference + " " + p.title);
      a.href = p.url;
      item.appendChild(a);
      item.appendChild(document.createTextNode(
        " — " + p.state_label + ", " + period(p.starts_at, p.ends_at)));
      if (p.clashes) { item.appendChild(el("span", "clash-badge", gettext("Clash"))); }
      list.appendChild(item);
    });
  }

  function listClashes(names) {
    var list = document.getElementById("city-map-clash-list");
    list.replaceChildren();
    if (!loaded.clashes.length) {
      list.appendChild(el("li", null, gettext("No clash at this time.")));
      return;
    }
    loaded.clashes.forEach(function (c) { list.appendChild(el("li", null, clashText(c, names))); });
  }

  // --- loading ------------------------------------------------------------------------

  function getJSON(url, signal) {
    return fetch(url, {credentials: "same-origin", signal: signal,
                       headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function load(at) {
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var signal = pending.signal;
    var query = "?active_at=" + encodeURIComponent(at.toISOString());
    var error = document.getElementById("city-map-error");
    document.getElementById("city-map-status").textContent = gettext("Loading…");
    Promise.all([getJSON(config.events_url + query, signal),
                 getJSON(config.zones_url + query, signal)])
      .then(function (answers) {
        error.hidden = true;
        loaded = {at: answers[0].at, events: answers[0].events,
                  clashes: answers[0].clashes, zones: answers[1]};
        draw();
      })
      .catch(function (err) {
        if (err.name === "AbortError") { return; }  // a newer moment was chosen
        error.textContent = gettext(
          "The map could not be updated. Check your connection and try again.");
        error.hidden = false;
      });
  }

  // --- the time controls --------------------------------------------------------------

  var input = document.getElementById("city-map-at");
  var slider = document.getElementById("city-map-slider");
  var debounce = null;

  function choose(date, from) {
    if (from !== "input") { input.value = toLocalInput(date); }
    if (from !== "slider") {
      var steps = Math.round((date.getTime() - sliderStart.getTime()) / STEP_MS);
      slider.value = String(Math.max(0, Math.min(Number(slider.max), steps)));
    }
    slider.setAttribute("aria-valuetext", formatTime(date));
    var url = new URL(window.location.href);
    url.searchParams.set("at", date.toISOString());
    window.history.replaceState(null, "", url);  // a link to share or reload this moment
    clearTimeout(debounce);
    // Dragging the slider fires many events: ask once it rests.
    debounce = setTimeout(function () { load(date); }, from === "slider" ? 200 : 0);
  }

  function setUp() {
    var now = new Date();
    sliderStart = new Date(Math.floor(now.getTime() / STEP_MS) * STEP_MS);
    slider.max = String(Math.round(config.slider_days * 24 * 60 / config.slider_step_minutes));
    input.addEventListener("change", function () {
      if (!input.value) {
        document.getElementById("city-map-status").textContent = gettext("Choose a date and time.");
        return;
      }
      var date = new Date(fromLocalInput(input.value));  // the city's time, as typed
      if (!isNaN(date.getTime())) { choose(date, "input"); }
    });
    slider.addEventListener("input", function () {
      choose(new Date(sliderStart.getTime() + Number(slider.value) * STEP_MS), "slider");
    });
    document.getElementById("city-map-now").addEventListener("click", function () {
      choose(new Date(), "now");
    });
    document.getElementById("city-map-clashes").addEventListener("change", draw);
    document.getElementById("city-map-controls").addEventListener("submit", function (e) {
      e.preventDefault();
    });
    document.querySelectorAll(".city-map-legend .swatch-zone[data-kind]").forEach(function (s) {
      s.style.background = kindColour(s.dataset.kind);
    });
    choose(new Date(config.at), "start");
  }

  window.parleyCityMap = function (leafletMap) {
    map = leafletMap;
    ["zones", "clashes", "events"].forEach(function (name) {
      layers[name] = L.featureGroup().addTo(map);
    });
    setUp();
  };
}

startCityMap();
