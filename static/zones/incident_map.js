/* Parley: incidents on a demonstration's map (templates/zones/_incidents.html).
 *
 * Shows every incident as a marker coloured by severity, with a popup (when it happened, when
 * it was recorded if that differs, severity, description, who reported it) and lists them
 * under the map. Police members and city staff (#zone-map-config's incidents.can_report,
 * computed from zones/rules.py) get "Report an incident": tap the map where it happened (or
 * use the middle of the map), then a small form (severity, time, description) posts to the
 * API with the session's CSRF token.
 *
 * Live: the live channel (static/messaging/channel.js) announces each frame as a
 * "parley:frame" DOM event; an `incident` frame adds its marker on every open page of the
 * demonstration; after each (re)subscription the incidents are read again from the API.
 *
 * Descriptions and names are only ever inserted as text (textContent), never as HTML.
 * An ES module; its words come from the JavaScript catalog (static/js/i18n.js).
 */
import {el} from "../js/dom.js";
import {fill, gettext} from "../js/i18n.js";
import {formatTime, fromLocalInput, toLocalInput} from "../js/time.js";

function startIncidents() {
  var section = document.getElementById("zone-map");
  var configNode = document.getElementById("zone-map-config");
  var root = document.getElementById("incidents");
  if (!section || !configNode || !root) {
    return;
  }
  var mapConfig = JSON.parse(configNode.textContent);
  var config = mapConfig.incidents;
  var map = null;
  var group = null;
  var features = {};   // id → Feature
  var markers = {};    // id → L.CircleMarker
  var early = [];      // frames heard before the map exists
  var placing = false;
  var draft = null;    // the marker of the place chosen for a new report

  function severityLabel(severity) {
    return config.severities[severity] || severity;
  }

  function colourOf(severity) {
    return config.colours[severity] || "#52525b";
  }

  /* --- showing incidents --------------------------------------------------------------- */

  function describe(feature) {
    var p = feature.properties;
    var box = el("div", "incident-popup");
    box.appendChild(el("h3", null, severityLabel(p.severity)));
    box.appendChild(el("p", "incident-description", p.description));
    box.appendChild(el("p", "incident-happened", fill(gettext("Happened: %(time)s"), {time: formatTime(p.happened_at)})));
    // Both times only where they differ (to the minute, as they are shown).
    if (formatTime(p.recorded_at) !== formatTime(p.happened_at)) {
      box.appendChild(el("p", "incident-recorded muted", fill(gettext("Recorded: %(time)s"), {time: formatTime(p.recorded_at)})));
    }
    if (p.reported_by) {
      box.appendChild(el("p", "incident-reporter muted", fill(gettext("Reported by %(name)s"), {name: p.reported_by.name})));
    }
    return box;
  }

  function markerStyle(severity) {
    var colour = colourOf(severity);
    return {
      radius: severity === "high" ? 11 : 9, color: "#fff", weight: 3, fillColor: colour,
      fillOpacity: 0.95, className: "incident-marker incident-" + severity, pane: "parleyIncidents"
    };
  }

  function upsert(feature) {
    if (!feature || feature.type !== "Feature" || !feature.geometry || !feature.properties) {
      return;
    }
    var id = feature.id;
    features[id] = feature;
    var latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
    var marker = markers[id];
    if (marker) {
      marker.setLatLng(latlng);
      marker.setStyle(markerStyle(feature.properties.severity));
    } else {
      marker = markers[id] = L.circleMarker(latlng, markerStyle(feature.properties.severity));
      marker.bindPopup(function () { return describe(features[id]); },
                       {maxWidth: 280, autoPanPadding: [16, 16]});
      marker.addTo(group);
    }
    var element = marker.getElement && marker.getElement();
    if (element) {
      element.setAttribute("data-incident", String(id));
    }
    renderList();
  }

  function replaceAll(collection) {
    (collection.features || []).forEach(upsert);
  }

  function renderList() {
    var list = document.getElementById("incident-list");
    list.textContent = "";
    var ordered = Object.keys(features).map(function (id) { return features[id]; });
    ordered.sort(function (a, b) {
      return a.properties.happened_at < b.properties.happened_at ? -1
        : a.properties.happened_at > b.properties.happened_at ? 1 : a.id - b.id;
    });
    ordered.forEach(function (feature) {
      var p = feature.properties;
      var item = el("li", "incident-item incident-item-" + p.severity);
      item.setAttribute("data-incident", String(feature.id));
      var swatch = el("span", "incident-swatch");
      swatch.setAttribute("data-severity", p.severity);
      swatch.style.backgroundColor = colourOf(p.severity);
      item.appendChild(swatch);
      var show = el("button", "link-button incident-show", severityLabel(p.severity) + " · " + formatTime(p.happened_at));
      show.type = "button";
      show.addEventListener("click", function () {
        var marker = markers[feature.id];
        if (map && marker) {
          map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16));
          marker.openPopup();
          section.scrollIntoView({block: "start"});
        }
      });
      item.appendChild(show);
      item.appendChild(el("span", "incident-item-description", p.description));
      list.appendChild(item);
    });
    document.getElementById("incidents-empty").hidden = ordered.length > 0;
  }

  function paintLegend() {
    section.querySelectorAll(".incident-swatch[data-severity]").forEach(function (swatch) {
      swatch.style.backgroundColor = colourOf(swatch.getAttribute("data-severity"));
    });
  }

  function refresh() {
    fetch(config.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (collection) {
        if (collection) {
          replaceAll(collection);
        }
      })
      .catch(function () { /* the next (re)subscription reads them again */ });
  }

  function hear(frame) {
    if (!frame) {
      return;
    }
    if (frame.type === "incident" && frame.incident && frame.incident.properties &&
        frame.incident.properties.event === mapConfig.event) {
      var known = Object.prototype.hasOwnProperty.call(features, frame.incident.id);
      upsert(frame.incident);
      if (!known) {
        say(fill(gettext("New incident: %(description)s"),
                 {description: frame.incident.properties.description}));
      }
    } else if (frame.type === "subscribed") {
      refresh();
    }
  }

  document.addEventListener("parley:frame", function (event) {
    if (map) {
      hear(event.detail);
    } else {
      early.push(event.detail);
    }
  });

  function say(text) {
    var node = document.getElementById("zone-map-status");
    if (node) {
      node.textContent = text;
      node.hidden = false;
    }
  }

  /* --- reporting ----------------------------------------------------------------------- */

  var tools = document.getElementById("incident-tools");
  var form = document.getElementById("incident-form");

  function setPlacing(on) {
    placing = on;
    if (!tools) {
      return;
    }
    tools.querySelector(".incident-tools-idle").hidden = on;
    tools.querySelector(".incident-tools-placing").hidden = !on;
    section.setAttribute("data-mode", on ? "placing-incident" : "");
  }

  function place(latlng) {
    if (draft) {
      draft.setLatLng(latlng);
    } else {
      draft = L.circleMarker(latlng, {
        radius: 12, color: "#111", weight: 3, dashArray: "4 3", fillColor: "#fff",
        fillOpacity: 0.6, className: "incident-draft", pane: "parleyIncidents"
      }).addTo(map);
    }
    map.closePopup();
    setPlacing(false);
    openForm();
  }

  function openForm() {
    if (form.hidden) {
      clearErrors();
      var time = form.querySelector("#incident-happened-at");
      time.value = toLocalInput(new Date());
      time.dataset.untouched = time.value;
      form.hidden = false;
      tools.hidden = true;
    }
    form.querySelector("#incident-description").focus();
  }

  function closeForm() {
    form.hidden = true;
    form.reset();
    tools.hidden = false;
    if (draft) {
      draft.remove();
      draft = null;
    }
    setPlacing(false);
  }

  function clearErrors() {
    form.querySelectorAll(".zone-field-error").forEach(function (node) {
      node.textContent = "";
      node.hidden = true;
    });
  }

  function showErrors(data) {
    clearErrors();
    var shown = false;
    Object.keys(data || {}).forEach(function (name) {
      var node = form.querySelector('.zone-field-error[data-field="' + name + '"]') ||
        form.querySelector('.zone-field-error[data-field="detail"]');
      var list = Array.isArray(data[name]) ? data[name] : [data[name]];
      node.textContent = (node.textContent ? node.textContent + " " : "") + list.join(" ");
      node.hidden = false;
      shown = true;
    });
    if (!shown) {
      var node = form.querySelector('.zone-field-error[data-field="detail"]');
      node.textContent = gettext("The server could not be reached; try again.");
      node.hidden = false;
    }
  }

  function submit() {
    if (!draft) {
      showErrors({location: [gettext("Tap the map where it happened first.")]});
      return;
    }
    var latlng = draft.getLatLng();
    var time = form.querySelector("#incident-happened-at");
    // Left as offered ("now", to the minute): the server takes its own now, to the second.
    var when = time.value === time.dataset.untouched ? "" : time.value;
    var body = {
      location: {type: "Point", coordinates: [Number(latlng.lng.toFixed(7)), Number(latlng.lat.toFixed(7))]},
      severity: form.querySelector("#incident-severity").value,
      description: form.querySelector("#incident-description").value
    };
    if (when) {
      body.happened_at = fromLocalInput(when);
    }
    var button = form.querySelector(".incident-save");
    button.disabled = true;
    fetch(config.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "Content-Type": "application/json",
                "X-CSRFToken": section.dataset.csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {ok: response.ok, data: data};
      });
    }, function () {
      return {ok: false, data: {detail: gettext("The server could not be reached; try again.")}};
    }).then(function (answer) {
      button.disabled = false;
      if (answer.ok) {
        upsert(answer.data);
        closeForm();
        say(gettext("Incident reported."));
      } else {
        showErrors(answer.data);
      }
    });
  }

  function bindReporting() {
    if (!tools || !form) {
      return;
    }
    tools.querySelector(".incident-start").addEventListener("click", function () { setPlacing(true); });
    tools.querySelector(".incident-cancel-placing").addEventListener("click", function () { setPlacing(false); });
    tools.querySelector(".incident-use-centre").addEventListener("click", function () { place(map.getCenter()); });
    form.querySelector(".incident-form-cancel").addEventListener("click", closeForm);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });
    map.on("click", function (event) {
      // While choosing the place, or to move it while the form is open.
      if (placing || (draft && !form.hidden)) {
        place(event.latlng);
      }
    });
  }

  /* --- start --------------------------------------------------------------------------- */

  function start(leafletMap) {
    if (map || !leafletMap || leafletMap.getContainer().id !== "event-map") {
      return;
    }
    map = leafletMap;
    map.createPane("parleyIncidents").style.zIndex = 620;  // above zones and places
    group = L.featureGroup().addTo(map);
    paintLegend();
    replaceAll(config.features || {});
    bindReporting();
    early.splice(0).forEach(hear);
  }

  window.addEventListener("map:init", function (event) { start(event.detail && event.detail.map); });
  (window.maps || []).forEach(start);  // a map made before this script ran
}

startIncidents();
