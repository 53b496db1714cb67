/* Parley: the public page (templates/public/page.html) — its map, and its notices kept
 * up to date without reloading the page.
 *
 * Configuration comes from <script id="public-config" type="application/json">
 * (coordination/public_views.py: the GeoJSON and notices addresses, zone colours — those of
 * zones/styles.py — and kind labels), the words from the language's JavaScript catalog
 * (static/js/i18n.js; this is an ES module). Every
 * poll_seconds it asks both addresses again with cache: "no-cache": the browser sends the
 * ETag it holds (If-None-Match) and the server answers 304 when nothing changed, so a
 * quiet page costs almost nothing. Everything from the server is set as text, never HTML.
 */
import {el, popup as popupBox} from "../js/dom.js";
import {fill, gettext} from "../js/i18n.js";
import {formatSpan, formatTime} from "../js/time.js";

function startPublicPage() {
  var config = JSON.parse(document.getElementById("public-config").textContent);
  var map = null;
  var layer = null;
  var byReference = {};   // reference → bounds of what is drawn of it
  var seen = {};          // url → the ETag of the answer last shown

  function kindColour(kind) {
    return config.colours.kinds[kind] || "#52525b";
  }

  function popupOf(title, rows) {
    return popupBox("public-popup", title, rows);
  }

  function period(from, to) {
    return formatSpan(from, to);
  }

  function popup(feature) {
    var p = feature.properties;
    var box;
    if (p.feature === "zone") {
      box = popupOf(config.zone_kinds[p.zone_kind] || p.zone_kind, [
        [gettext("In force"), p.valid_from ? period(p.valid_from, p.valid_to) : ""],
        [gettext("Conditions"), p.conditions || gettext("No particular conditions.")]
      ]);
    } else {
      var place = {assembly_point: gettext("Assembly point"), route: gettext("Route"),
                   dispersal_point: gettext("Dispersal point")}[p.feature];
      box = popupOf(p.title, [
        p.place_name ? [place, p.place_name] : ["", place],
        [gettext("Kind"), config.kinds[p.kind] || p.kind],
        [gettext("State"), config.states[p.state] || p.state],
        [gettext("When"), period(p.starts_at, p.ends_at)]
      ]);
    }
    var link = el("a", null, fill(gettext("Details (%(reference)s)"), {reference: p.reference}));
    link.href = "#" + p.reference;
    box.appendChild(link);
    return box;
  }

  function pointStyle(feature) {
    var p = feature.properties;
    var colour = p.feature === "dispersal_point" ? config.colours.dispersal
      : config.colours.assembly;
    return {radius: 8, color: "#fff", weight: 2, fillColor: colour,
            fillOpacity: p.state === "concluded" ? 0.45 : 0.95};
  }

  function style(feature) {
    var p = feature.properties;
    var faded = p.state === "concluded";
    if (feature.geometry.type === "Point") {
      return pointStyle(feature);
    }
    if (p.feature === "zone") {
      var colour = kindColour(p.zone_kind);
      return {color: colour, weight: 2, fillColor: colour, fillOpacity: 0.25};
    }
    return {color: config.colours.route, weight: 5, opacity: faded ? 0.4 : 0.9};
  }

  function point(feature, latlng) {
    return L.circleMarker(latlng, pointStyle(feature));
  }

  function draw(collection) {
    if (!map) { return; }
    if (layer) { layer.remove(); }
    byReference = {};
    layer = L.geoJSON(collection, {
      style: style,
      pointToLayer: point,
      onEachFeature: function (feature, drawn) {
        drawn.bindPopup(function () { return popup(feature); });
        var ref = feature.properties.reference;
        var bounds = drawn.getBounds ? drawn.getBounds() : L.latLngBounds([drawn.getLatLng()]);
        byReference[ref] = byReference[ref] ? byReference[ref].extend(bounds) : L.latLngBounds(bounds.getSouthWest(), bounds.getNorthEast());
      }
    }).addTo(map);
    if (!seen.fitted && collection.features.length) {
      seen.fitted = true;
      map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 16});
    }
  }

  function showNotices(notices) {
    var list = document.getElementById("public-notices");
    list.textContent = "";
    if (!notices.length) {
      list.appendChild(el("li", "public-none", gettext("No notices yet.")));
      return;
    }
    notices.forEach(function (n) {
      var item = el("li");
      item.dataset.id = n.id;
      var time = el("time", null, formatTime(n.at));
      time.dateTime = n.at;
      item.appendChild(time);
      item.appendChild(document.createTextNode(" "));
      var link = el("a", null, n.reference + " “" + n.title + "”");
      link.href = "#" + n.reference;
      item.appendChild(link);
      item.appendChild(document.createTextNode(": "));
      item.appendChild(el("span", "public-notice-text", n.text));
      list.appendChild(item);
    });
  }

  function status(text) {
    document.getElementById("public-status").textContent = text;
  }

  /* GET url; calls use(json) only when the answer differs from the one last shown. */
  function refresh(url, use) {
    return fetch(url, {cache: "no-cache", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        var tag = response.headers.get("ETag");
        if (tag && seen[url] === tag) { return false; }
        seen[url] = tag;
        return response.json().then(function (data) { use(data); return true; });
      });
  }

  /* Ask both addresses once; resolves when the page shows what the server has. */
  function check(first) {
    return Promise.all([
      refresh(config.geojson_url, draw),
      refresh(config.notices_url, function (data) { if (!first) { showNotices(data.notices); } })
    ]).then(function (changed) {
      if (!first && (changed[0] || changed[1])) {
        status(fill(gettext("Updated at %(time)s."), {time: formatTime(new Date())}));
      }
    }).catch(function () {
      status(gettext("Could not check for changes; trying again shortly."));
    });
  }

  function poll(first) {
    check(first).then(function () {
      window.setTimeout(function () { poll(false); }, config.poll_seconds * 1000);
    });
  }

  /* Check for changes now instead of at the next poll (what a test asks). */
  window.parleyPublicRefresh = function () { return check(false); };

  window.parleyPublicMap = function (leafletMap) {
    map = leafletMap;
    poll(true);
  };

  function start() {
    document.querySelectorAll(".public-zone-swatch").forEach(function (swatch) {
      swatch.style.background = kindColour(swatch.dataset.kind);
    });
    document.querySelectorAll(".public-show").forEach(function (button) {
      button.addEventListener("click", function () {
        var bounds = byReference[button.dataset.reference];
        if (!map || !bounds) { return; }
        document.getElementById("public-map").scrollIntoView({behavior: "smooth"});
        map.fitBounds(bounds, {padding: [20, 20], maxZoom: 17});
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}

startPublicPage();
