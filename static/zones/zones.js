/* Parley: what every map of zones shares (an ES module): the colour of each kind (defined
 * only here), the hatching of proposed zones, the style and layer of a zone Feature, the
 * places of a demonstration, the description of a zone. The map on a demonstration's page
 * (static/zones/zone_map.js) and the replay (static/review/replay.js) use these.
 *
 * Labels, conditions and names are only ever inserted as text (textContent), never as HTML.
 */
import {el} from "../js/dom.js";
import {fill, gettext} from "../js/i18n.js";
import {formatSpan} from "../js/time.js";

/* --- shared by every map of zones ---------------------------------------------------- */

/* The colour of each kind comes from the page's configuration: zones/styles.py is the one
 * table, shared with the city-wide map and the printed briefing sheet. */
export const KIND_COLOURS = {};
export const PLACE_STYLES = {
  assembly_point: {radius: 9, color: "#0b6e4f", fillColor: "#18a558", fillOpacity: 0.9, weight: 2},
  dispersal_point: {radius: 9, color: "#8a1c1c", fillColor: "#d64545", fillOpacity: 0.9, weight: 2},
  route: {color: "#1d4ed8", weight: 5, opacity: 0.9}
};
var SVG_NS = "http://www.w3.org/2000/svg";
var PATTERNS_ID = "parley-zone-patterns";

export function colourOf(kind) {
  return KIND_COLOURS[kind] || "#52525b";
}

/* Take the colours of the kinds ({kind: "#rrggbb"}, zones/styles.py) before drawing. */
export function useColours(table) {
  Object.keys(table || {}).forEach(function (kind) { KIND_COLOURS[kind] = table[kind]; });
  var old = document.getElementById(PATTERNS_ID);
  if (old) {
    old.parentNode.removeChild(old);  // made again, in the new colours, when next needed
  }
}

/* One hatch pattern per kind, in a hidden SVG that every map's paths can refer to. */
export function ensurePatterns() {
  if (document.getElementById(PATTERNS_ID)) {
    return;
  }
  var svg = document.createElementNS(SVG_NS, "svg");
  svg.id = PATTERNS_ID;
  svg.setAttribute("aria-hidden", "true");
  // Not display:none: patterns inside an undisplayed SVG are not painted. Set through
  // CSSOM, not a style attribute, which the Content-Security-Policy refuses.
  svg.style.position = "absolute";
  svg.style.width = "0";
  svg.style.height = "0";
  svg.style.overflow = "hidden";
  var defs = document.createElementNS(SVG_NS, "defs");
  Object.keys(KIND_COLOURS).forEach(function (kind) {
    var pattern = document.createElementNS(SVG_NS, "pattern");
    pattern.id = "parley-hatch-" + kind;
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "10");
    pattern.setAttribute("height", "10");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var wash = document.createElementNS(SVG_NS, "rect");
    wash.setAttribute("width", "10");
    wash.setAttribute("height", "10");
    wash.setAttribute("fill", colourOf(kind));
    wash.setAttribute("fill-opacity", "0.08");
    var line = document.createElementNS(SVG_NS, "rect");
    line.setAttribute("width", "3");
    line.setAttribute("height", "10");
    line.setAttribute("fill", colourOf(kind));
    line.setAttribute("fill-opacity", "0.55");
    pattern.appendChild(wash);
    pattern.appendChild(line);
    defs.appendChild(pattern);
  });
  svg.appendChild(defs);
  document.body.appendChild(svg);
}

/* The Leaflet path style of a zone Feature: its kind's colour; hatched and dashed while
 * only proposed. */
export function zoneStyle(feature) {
  var p = feature.properties;
  var colour = colourOf(p.kind);
  var classes = "parley-zone zone-status-" + p.status + " zone-kind-" + p.kind;
  if (p.status === "proposed") {
    return {color: colour, weight: 3, dashArray: "8 6", fillColor: "url(#parley-hatch-" + p.kind + ")",
            fillOpacity: 1, className: classes};
  }
  return {color: colour, weight: 3, fillColor: colour, fillOpacity: 0.3, className: classes};
}

/* A Leaflet layer (one L.Polygon, several rings or parts) for a zone Feature. */
export function zoneLayer(feature, options) {
  ensurePatterns();
  var layer = L.GeoJSON.geometryToLayer(feature, {});
  layer.setStyle(zoneStyle(feature));  // className too: it is read when the path is made
  if (options && options.pane) {
    layer.options.pane = options.pane;
  }
  layer.feature = feature;
  layer.on("add", function () { markElement(layer); });
  return layer;
}

/* The path's classes and data- attributes (zone id, status) as the Feature says. */
function markElement(layer) {
  var element = layer.getElement && layer.getElement();
  if (!element) {
    return;
  }
  var p = layer.feature.properties;
  element.setAttribute("data-zone-id", p.id);
  element.setAttribute("data-status", p.status);
  var keep = (element.getAttribute("class") || "").split(/\s+/).filter(function (name) {
    return name && name !== "parley-zone" && name.indexOf("zone-") !== 0;
  });
  element.setAttribute("class", keep.concat(zoneStyle(layer.feature).className.split(" ")).join(" "));
}

/* Bring a zone's layer up to date in place (shape, style, popup), so that an open popup
 * stays open while others agree or change the zone. ``reshaped``: the layer's corners were
 * moved on the map, so its shape is set again even if the Feature's is unchanged. */
export function updateZoneLayer(layer, feature, reshaped) {
  var before = layer.feature;
  layer.feature = feature;
  if (reshaped || JSON.stringify(before.geometry) !== JSON.stringify(feature.geometry)) {
    var geometry = feature.geometry;
    layer.setLatLngs(L.GeoJSON.coordsToLatLngs(geometry.coordinates,
                                               geometry.type === "Polygon" ? 1 : 2));
    // Leaflet.draw's vertex editing keeps the old corners: point it at the new ones, as
    // Leaflet.draw itself does when an edit is reverted.
    layer.fire("revert-edited", {layer: layer});
  }
  layer.setStyle(zoneStyle(feature));
  markElement(layer);
  var popup = layer.getPopup && layer.getPopup();
  if (popup && layer.isPopupOpen()) {
    popup.update();  // the popup's content is a function of the zone: made again
  }
  return layer;
}

/* The assembly point, route and dispersal point of a demonstration, as one group. */
export function showPlaces(map, places) {
  var group = L.featureGroup();
  ["route", "assembly_point", "dispersal_point"].forEach(function (name) {
    var geometry = places[name];
    if (!geometry) {
      return;
    }
    L.geoJSON(geometry, {
      style: function () { return PLACE_STYLES[name]; },
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, PLACE_STYLES[name]); }
    }).addTo(group);
  });
  group.addTo(map);
  return group;
}

/* The description of a zone, as a DOM node: label, kind, status, times, conditions,
 * version, who has agreed and who not yet. ``labels``: {kinds, statuses, parties}. */
export function describeZone(feature, labels) {
  var p = feature.properties;
  var box = el("div", "zone-description");
  box.appendChild(el("h3", "zone-title", p.label || labels.kinds[p.kind] || p.kind));
  var line = el("p", "zone-kind-line");
  var swatch = el("span", "zone-swatch");
  swatch.setAttribute("data-kind", p.kind);
  swatch.style.background = colourOf(p.kind);
  line.appendChild(swatch);
  line.appendChild(document.createTextNode(labels.kinds[p.kind] || p.kind));
  line.appendChild(document.createTextNode(" · "));
  line.appendChild(el("strong", "zone-status zone-status-" + p.status, labels.statuses[p.status] || p.status));
  box.appendChild(line);
  // One span: the date once when both ends fall on one day (static/js/time.js).
  box.appendChild(el("p", "zone-times", formatSpan(p.valid_from, p.valid_to)));
  var conditions = el("p", "zone-conditions");
  if (p.conditions) {
    conditions.appendChild(el("strong", null, gettext("Conditions:") + " "));
    conditions.appendChild(document.createTextNode(p.conditions));
  } else {
    conditions.textContent = gettext("No conditions.");
  }
  box.appendChild(conditions);
  box.appendChild(el("p", "zone-version", fill(gettext("Version %(version)s"), {version: p.version})));
  var agreed = p.agreed_by || [];
  var byParty = {};
  (p.agreements || []).forEach(function (a) { byParty[a.party] = a; });
  var yes = el("p", "zone-agreed-by");
  yes.appendChild(el("strong", null, gettext("Agreed by:") + " "));
  yes.appendChild(document.createTextNode(agreed.length ? agreed.map(function (party) {
    var who = byParty[party];
    return (labels.parties[party] || party) + (who ? " (" + who.name + ")" : "");
  }).join(", ") : gettext("nobody yet")));
  box.appendChild(yes);
  var missing = Object.keys(labels.parties).filter(function (party) { return agreed.indexOf(party) < 0; });
  if (missing.length && p.status !== "withdrawn") {
    var no = el("p", "zone-not-yet");
    no.appendChild(el("strong", null, gettext("Not yet:") + " "));
    no.appendChild(document.createTextNode(missing.map(function (party) {
      return labels.parties[party] || party;
    }).join(", ")));
    box.appendChild(no);
  }
  return box;
}
