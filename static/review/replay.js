/* Parley: the replay of a demonstration (templates/review/replay.html).
 *
 * The whole history is read once (GET history_url: coordination/review.py replay_history) and
 * the page then shows, for the moment the slider points at:
 * - each zone as it stood then: its latest version proposed at or before that moment;
 *   "withdrawn" if it was withdrawn by then, "agreed" if that version had been agreed by all
 *   its parties by then, else "proposed" (the same rules as zones/history.py zones_at);
 * - the incidents that had happened by then (their happened_at);
 * - the messages of both channels sent by then.
 * Sliding is then instant, even for a long demonstration, and needs no further request.
 *
 * Names, labels and bodies are only ever inserted as text (textContent). An ES module; its
 * words come from the JavaScript catalog (static/js/i18n.js).
 */
import {el} from "../js/dom.js";
import {fill, gettext, ngettext} from "../js/i18n.js";
import {formatTime} from "../js/time.js";
import {showPlaces, useColours, zoneLayer} from "../zones/zones.js";

function startReplay() {
  var STEPS = 1000;
  var configNode = document.getElementById("replay-config");
  if (!configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var slider = document.getElementById("replay-slider");
  var output = document.getElementById("replay-time");
  var summary = document.getElementById("replay-summary");
  var zoneList = document.getElementById("replay-zones");
  var incidentList = document.getElementById("replay-incidents");
  var messageList = document.getElementById("replay-messages");
  var previousButton = document.getElementById("replay-previous");
  var nextButton = document.getElementById("replay-next");
  var startOfDayButton = document.getElementById("replay-start-of-day");

  var map = null;
  var history = null;
  var start = 0;
  var end = 0;
  var current = 0;
  var changes = [];  // every moment something changed, in ms, ascending
  var zoneGroup = null;
  var incidentGroup = null;
  var fitted = false;
  var shownMessages = 0;

  function ms(iso) {
    return iso ? Date.parse(iso) : null;
  }


  /* The zones as they stood at ``t`` (ms): [{feature, withdrawn}]. */
  function zonesAt(t) {
    var result = [];
    history.zones.forEach(function (zone) {
      var version = null;
      zone.versions.forEach(function (v) {
        if (ms(v.proposed_at) <= t) {
          version = v;
        }
      });
      if (!version) {
        return;
      }
      var status = "proposed";
      if (zone.withdrawn_at && ms(zone.withdrawn_at) <= t) {
        status = "withdrawn";
      } else if (version.agreed_at && ms(version.agreed_at) <= t) {
        status = "agreed";
      }
      result.push({type: "Feature", geometry: version.geometry, properties: {
        id: zone.id, kind: version.kind, label: zone.label, version: version.number,
        status: status, valid_from: version.valid_from, valid_to: version.valid_to,
        conditions: version.conditions
      }});
    });
    return result;
  }

  function drawZones(features) {
    if (!map) {
      return;
    }
    zoneGroup.clearLayers();
    features.forEach(function (feature) {
      if (feature.properties.status === "withdrawn") {
        return;  // listed below the map, no longer on it
      }
      var layer = zoneLayer(feature);
      // A node, not a string: Leaflet reads a string as HTML.
      layer.bindTooltip(el("span", null,
                           feature.properties.label || history.kinds[feature.properties.kind] || ""));
      zoneGroup.addLayer(layer);
    });
  }

  function listZones(features) {
    zoneList.textContent = "";
    if (!features.length) {
      zoneList.appendChild(el("li", "empty", gettext("No zone had been proposed yet.")));
      return;
    }
    features.forEach(function (feature) {
      var p = feature.properties;
      var item = el("li", "replay-zone zone-status-" + p.status);
      item.setAttribute("data-zone-id", p.id);
      item.setAttribute("data-status", p.status);
      item.setAttribute("data-version", p.version);
      item.appendChild(el("strong", null, p.label || history.kinds[p.kind] || p.kind));
      item.appendChild(document.createTextNode(
        " — " + (history.kinds[p.kind] || p.kind) + ", " + fill(gettext("version %(version)s"), {version: p.version}) +
        ", " + (history.statuses[p.status] || p.status)));
      zoneList.appendChild(item);
    });
  }

  function showIncidents(t) {
    var happened = history.incidents.filter(function (i) { return ms(i.happened_at) <= t; });
    incidentList.textContent = "";
    if (incidentGroup) {
      incidentGroup.clearLayers();
    }
    if (!happened.length) {
      incidentList.appendChild(el("li", "empty", gettext("No incident so far.")));
    }
    happened.forEach(function (incident) {
      var item = el("li", "replay-incident-item severity-" + incident.severity);
      item.setAttribute("data-incident-id", incident.id);
      item.appendChild(el("strong", null, history.severities[incident.severity] || incident.severity));
      item.appendChild(document.createTextNode(
        " · " + fill(gettext("happened at %(time)s"),
                     {time: formatTime(ms(incident.happened_at), {seconds: true})}) +
        " · " + incident.reported_by.name + ": "));
      item.appendChild(el("span", null, incident.description));
      incidentList.appendChild(item);
      if (incidentGroup && incident.location) {
        var c = incident.location.coordinates;
        var marker = L.circleMarker([c[1], c[0]], {
          radius: 8, color: "#82071e", fillColor: "#d64545", fillOpacity: 0.9, weight: 2,
          className: "replay-incident"
        });
        marker.bindTooltip(el("span", null, incident.description));
        incidentGroup.addLayer(marker);
      }
    });
    return happened.length;
  }

  function messageItem(message) {
    var item = el("li", "replay-message kind-" + message.kind + " channel-" + message.channel);
    item.setAttribute("data-message-id", message.id);
    var meta = el("p", "replay-message-meta");
    meta.appendChild(el("time", null, formatTime(ms(message.sent_at), {seconds: true})));
    meta.appendChild(document.createTextNode(
      " · " + message.sender.name + " (" + (history.roles[message.sender.role] || message.sender.role) + ") · " +
      (history.channels[message.channel] || message.channel) + " · " +
      (history.message_kinds[message.kind] || message.kind)));
    if (message.key_moment) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "key-moment-badge", gettext("Key moment")));
    }
    item.appendChild(meta);
    item.appendChild(el("p", "replay-message-body", message.body));
    return item;
  }

  /* Messages are in order: only the difference with what is shown is added or taken off. */
  function showMessages(t) {
    var results = history.messages.results;
    var count = 0;
    while (count < results.length && ms(results[count].sent_at) <= t) {
      count += 1;
    }
    var empty = messageList.querySelector(".empty");
    if (empty) {
      messageList.removeChild(empty);
    }
    while (shownMessages > count) {
      messageList.removeChild(messageList.lastElementChild);
      shownMessages -= 1;
    }
    while (shownMessages < count) {
      messageList.appendChild(messageItem(results[shownMessages]));
      shownMessages += 1;
    }
    if (!count) {
      messageList.appendChild(el("li", "empty", gettext("No message yet.")));
    } else {
      messageList.scrollTop = messageList.scrollHeight;
    }
    return count;
  }

  function render() {
    var text = formatTime(current, {seconds: true});
    output.textContent = text;
    output.setAttribute("data-at", new Date(current).toISOString());
    slider.setAttribute("aria-valuetext", text);
    var zones = zonesAt(current);
    drawZones(zones);
    listZones(zones);
    var incidents = showIncidents(current);
    var messages = showMessages(current);
    var inForce = zones.filter(function (f) { return f.properties.status !== "withdrawn"; }).length;
    summary.textContent = fill(
      gettext("Zones: %(zones)s · incidents so far: %(incidents)s · messages so far: %(messages)s"),
      {zones: inForce, incidents: incidents, messages: messages});
    summary.setAttribute("data-zones", inForce);
    summary.setAttribute("data-messages", messages);
    summary.setAttribute("data-incidents", incidents);
    previousButton.disabled = current <= start;
    nextButton.disabled = !changes.some(function (c) { return c > current; });
  }

  function moveTo(t) {
    current = Math.min(end, Math.max(start, t));
    slider.value = end > start ? Math.round((current - start) / (end - start) * STEPS) : STEPS;
    render();
  }

  function fitMap() {
    if (!map || !history || fitted) {
      return;
    }
    fitted = true;
    var bounds = L.latLngBounds([]);
    var places = showPlaces(map, history.places);
    if (places.getLayers().length) {
      bounds.extend(places.getBounds());
    }
    history.zones.forEach(function (zone) {
      zone.versions.forEach(function (v) {
        bounds.extend(L.geoJSON(v.geometry).getBounds());
      });
    });
    history.incidents.forEach(function (i) {
      if (i.location) {
        bounds.extend([i.location.coordinates[1], i.location.coordinates[0]]);
      }
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, {padding: [20, 20], maxZoom: 17});
    }
  }

  function ready() {
    if (!map || !history) {
      return;
    }
    zoneGroup = L.featureGroup().addTo(map);
    incidentGroup = L.featureGroup().addTo(map);
    fitMap();
    render();
  }

  function collectChanges() {
    var seen = {};
    function add(iso) {
      var t = ms(iso);
      if (t !== null && !isNaN(t) && !seen[t]) {
        seen[t] = true;
        changes.push(t);
      }
    }
    history.zones.forEach(function (zone) {
      add(zone.withdrawn_at);
      zone.versions.forEach(function (v) { add(v.proposed_at); add(v.agreed_at); });
    });
    history.incidents.forEach(function (i) { add(i.happened_at); });
    history.messages.results.forEach(function (m) { add(m.sent_at); });
    changes.sort(function (a, b) { return a - b; });
  }

  function loaded(data) {
    history = data;
    useColours(history.colours);
    start = ms(history.start);
    end = ms(history.end);
    current = end;
    collectChanges();
    if (history.messages.truncated) {
      var note = document.getElementById("replay-truncated");
      note.textContent = fill(ngettext(
        "This demonstration has %(count)s message; the replay shows the first %(shown)s.",
        "This demonstration has %(count)s messages; the replay shows the first %(shown)s.",
        history.messages.count), {count: history.messages.count,
                                  shown: history.messages.results.length});
      note.hidden = false;
    }
    slider.disabled = false;
    startOfDayButton.disabled = !history.event.starts_at;
    slider.addEventListener("input", function () {
      current = start + (end - start) * Number(slider.value) / STEPS;
      render();
    });
    previousButton.addEventListener("click", function () {
      // Undo the last change shown: go to the change before it (or to the start).
      var shownChanges = changes.filter(function (c) { return c <= current; });
      shownChanges.pop();
      moveTo(shownChanges.length ? shownChanges[shownChanges.length - 1] : start);
    });
    nextButton.addEventListener("click", function () {
      var later = changes.filter(function (c) { return c > current; });
      moveTo(later.length ? later[0] : end);
    });
    startOfDayButton.addEventListener("click", function () {
      moveTo(ms(history.event.starts_at));
    });
    slider.value = STEPS;
    if (map) {
      ready();
    } else {
      render();  // the channel and lists already; the map joins when it is ready
    }
  }

  window.parleyReplayMap = function (leafletMap) {
    map = leafletMap;
    ready();
  };

  output.textContent = gettext("Loading…");
  fetch(config.history_url, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(loaded)
    .catch(function () {
      var error = document.getElementById("replay-error");
      error.textContent = gettext(
        "The history could not be loaded. Check your connection and reload the page.");
      error.hidden = false;
    });
}

startReplay();
