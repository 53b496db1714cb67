/* Parley: the map on a demonstration's page (templates/zones/_event_map.html; an ES module).
 * What every map of zones shares (colours, styles, layers, descriptions) is in zones.js.
 *
 * window.parleyShowEvent(map), called by django-leaflet once the map is made, shows the
 *   places and every current zone, lets the reader agree, draw, change, reshape and
 *   withdraw zones as far as #zone-map-config's "can" allows (computed by the view from
 *   zones/rules.py: the page offers only what the API allows),
 *   and keeps up with every change: the live channel (static/messaging/channel.js)
 *   announces each frame as a "parley:frame" DOM event, and a `zone` frame updates the zone
 *   in place; after each (re)subscription the zones are read again from the API, so nothing
 *   sent while the connection was down is missed.
 *
 * Labels, conditions and names are only ever inserted as text (textContent), never as HTML.
 * Drawing uses Leaflet.draw's handlers (L.Draw.Polygon, L.Draw.Rectangle, L.Edit.Poly) from
 * django-leaflet's static files, driven by large buttons under the map (fit for phones).
 */
import {el} from "../js/dom.js";
import {gettext, pgettext} from "../js/i18n.js";
import {fromLocalInput, toLocalInput} from "../js/time.js";
import {colourOf, describeZone, showPlaces, updateZoneLayer, useColours, zoneLayer} from "./zones.js";

function startEventMap() {
  var section = document.getElementById("zone-map");
  var configNode = document.getElementById("zone-map-config");
  if (!section || !configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  useColours(config.colours);
  var labels = {kinds: config.kinds, statuses: config.statuses, parties: config.parties};
  var controller = null;
  var early = [];  // frames heard before the map exists

  document.addEventListener("parley:frame", function (event) {
    if (controller) {
      controller.hear(event.detail);
    } else {
      early.push(event.detail);
    }
  });

  function urlFor(template, id) {
    return template.replace("/0/", "/" + id + "/");
  }

  /* A JSON request to the API with the session and its CSRF token. Resolves to
   * {ok, status, data}; a network failure resolves with status 0. */
  function api(method, url, body) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": section.dataset.csrf}
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {ok: response.ok, status: response.status, data: data};
      });
    }, function () {
      return {ok: false, status: 0, data: {detail: gettext("The server could not be reached; try again.")}};
    });
  }

  /* The messages of an error answer, and the repaired shape the server offers, if any
   * ("… send this geometry: {…}", zones/geometry.py). That offer is worded for API
   * clients: it is left out here, and the form says it once in plain words
   * (showFieldErrors). */
  function problems(data) {
    var texts = [];
    var repair = null;
    var fields = {};
    if (!data || typeof data !== "object") {
      return {texts: [gettext("The server could not be reached; try again.")], repair: null, fields: fields};
    }
    Object.keys(data).forEach(function (name) {
      var value = data[name];
      var list = Array.isArray(value) ? value : [value];
      fields[name] = [];
      list.forEach(function (message) {
        message = String(message);
        var brace = message.indexOf("{");
        if (name === "geometry" && brace > 0) {
          try {
            repair = JSON.parse(message.slice(brace));
            return;
          } catch (e) { /* not an offer: keep the message whole */ }
        }
        fields[name].push(message);
        texts.push(message);
      });
    });
    return {texts: texts, repair: repair, fields: fields};
  }

  /** Room the zoom buttons take at the map's top left: a popup is panned clear of them. */
  var POPUP_TOP_LEFT = [10, 84];
  /** What Leaflet adds around a popup's content (its margins and border), in pixels. */
  var POPUP_FRAME = 48;

  /**
   * Fits an opening popup into its map: a phone's map is narrower than a popup's usual
   * width, which would put its close button off the screen. Only ever narrows a popup.
   */
  function fitPopup(event) {
    var popup = event.popup;
    var size = event.target.getSize();
    var options = popup.options;
    if (options.parleyWidth === undefined) {
      options.parleyWidth = options.maxWidth;
      options.parleyMinWidth = options.minWidth;
    }
    var room = Math.max(120, size.x - 50 - POPUP_FRAME);
    var width = Math.min(options.parleyWidth, room);
    var minWidth = Math.min(options.parleyMinWidth || 50, width);
    var height = Math.max(120, size.y - POPUP_TOP_LEFT[1] - 70);  // its tip and frame too
    if (width !== options.maxWidth || minWidth !== options.minWidth ||
        (options.maxHeight && height < options.maxHeight)) {
      options.maxWidth = width;
      options.minWidth = minWidth;
      if (options.maxHeight) {
        options.maxHeight = Math.min(options.maxHeight, height);
      }
      popup.update();
    }
  }

  function EventMap(map) {
    this.map = map;
    this.features = {};
    this.layers = {};
    this.drawing = null;    // the active L.Draw handler
    this.drawn = null;      // the shape drawn and not yet saved
    this.editing = null;    // the zone whose details the form changes
    this.reshaping = null;  // {id, layer} while a zone is reshaped
    this.deferred = {};     // zone Features heard while that zone was being reshaped
    this.notes = {};        // the last refusal per zone, kept in its popup until it is redone
    this.fetching = false;
    this.fetchAgain = false;
    this.heardWhileFetching = [];
    map.createPane("parleyZones").style.zIndex = 390;  // under the route and points
    map.on("popupopen", fitPopup);
    this.group = L.featureGroup().addTo(map);
    this.errorNode = document.getElementById("zone-map-error");
    this.statusNode = document.getElementById("zone-map-status");
    this.listNode = el("ul", "zone-list");
    this.listNode.id = "zone-list";
    this.listNode.setAttribute("aria-labelledby", "zones-heading");
    section.querySelector(".zone-legend-heading").insertAdjacentElement("beforebegin", this.listNode);
    this.form = document.getElementById("zone-form");
    this.tools = document.getElementById("zone-tools");
    this.paintLegend();
    this.bindTools();
    this.bindForm();
  }

  EventMap.prototype.paintLegend = function () {
    section.querySelectorAll(".zone-legend .zone-swatch").forEach(function (swatch) {
      var kind = swatch.getAttribute("data-kind");
      if (kind !== "proposed") {
        swatch.style.background = colourOf(kind);
      }
    });
  };

  /* --- zones in and out ----------------------------------------------------------------- */

  /* Whether ``a`` is an older state of a zone than ``b``. Answers (ours) and frames (everyone's)
   * can arrive out of order; a zone only moves forward: its version grows, within a version
   * agreements are only added, and every other change moves ``updated_at`` on. */
  function isOlder(a, b) {
    var pa = a.properties;
    var pb = b.properties;
    if (pa.version !== pb.version) {
      return pa.version < pb.version;
    }
    var agreedA = (pa.agreed_by || []).length;
    var agreedB = (pb.agreed_by || []).length;
    if (agreedA !== agreedB) {
      return agreedA < agreedB;
    }
    return Boolean(pa.updated_at && pb.updated_at && new Date(pa.updated_at) < new Date(pb.updated_at));
  }

  EventMap.prototype.upsert = function (feature) {
    var id = feature.properties.id;
    var known = this.features[id];
    if (known && feature.properties.status !== "withdrawn" && isOlder(feature, known)) {
      return;  // already showing something newer
    }
    if (this.reshaping && this.reshaping.id === id) {
      this.deferred[id] = feature;
      return;
    }
    var old = this.layers[id];
    if (feature.properties.status === "withdrawn" || feature.properties.status === "superseded") {
      if (old) {
        this.group.removeLayer(old);
        delete this.layers[id];
      }
      delete this.features[id];
      this.renderList();
      return;
    }
    this.features[id] = feature;
    if (old) {
      updateZoneLayer(old, feature, this.reshaped === id);
    } else {
      var layer = zoneLayer(feature, {pane: "parleyZones"});
      var self = this;
      // Never taller than the map (a phone's is short): a long popup scrolls inside. Its
      // width is fitted to the map as it opens (fitPopup).
      layer.bindPopup(function () { return self.popup(id); },
                      {maxWidth: 300, minWidth: 220, autoPanPaddingTopLeft: POPUP_TOP_LEFT,
                       autoPanPaddingBottomRight: [10, 10],
                       maxHeight: Math.max(160, this.map.getSize().y - 80)});
      layer.addTo(this.group);
      this.layers[id] = layer;
    }
    this.renderList();
  };

  EventMap.prototype.replaceAll = function (collection) {
    var self = this;
    var seen = {};
    (collection.features || []).forEach(function (feature) {
      seen[feature.properties.id] = true;
      self.upsert(feature);
    });
    Object.keys(this.features).forEach(function (id) {
      if (!seen[id]) {
        self.upsert({type: "Feature", geometry: null, properties: {id: Number(id), status: "withdrawn"}});
      }
    });
  };

  /* A frame of the live channel (every frame comes here; only two matter). */
  EventMap.prototype.hear = function (frame) {
    if (!frame) {
      return;
    }
    if (frame.type === "zone" && frame.zone && frame.zone.properties &&
        frame.zone.properties.event === config.event) {
      if (this.fetching) {
        this.heardWhileFetching.push(frame.zone);
      }
      this.upsert(frame.zone);
    } else if (frame.type === "subscribed") {
      this.refresh();
    }
  };

  /* Read every zone again (after a (re)connect); zones heard meanwhile are newer. */
  EventMap.prototype.refresh = function () {
    var self = this;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = true;
    this.heardWhileFetching = [];
    api("GET", config.zones_url + "?status=proposed,agreed").then(function (answer) {
      self.fetching = false;
      if (answer.ok) {
        self.replaceAll(answer.data);
        self.heardWhileFetching.forEach(function (feature) { self.upsert(feature); });
      }
      self.heardWhileFetching = [];
      if (self.fetchAgain) {
        self.fetchAgain = false;
        self.refresh();
      }
    });
  };

  /* --- what is shown ------------------------------------------------------------------ */

  EventMap.prototype.popup = function (id) {
    var feature = this.features[id];
    var self = this;
    var box = el("div", "zone-popup");
    box.setAttribute("data-zone-id", id);
    if (!feature) {
      return box;
    }
    var p = feature.properties;
    box.appendChild(describeZone(feature, labels));
    var message = el("p", "zone-popup-message", this.notes[id] || "");
    message.setAttribute("role", "alert");
    message.hidden = !this.notes[id];
    var actions = el("div", "zone-popup-actions");
    var agreed = (p.agreed_by || []).indexOf(config.party) >= 0;
    if (config.can.agree && !agreed) {
      var agree = el("button", "primary zone-agree", pgettext("agree a zone", "Agree"));
      agree.type = "button";
      agree.addEventListener("click", function () { self.agree(feature, agree, message); });
      actions.appendChild(agree);
    } else if (config.can.agree) {
      box.appendChild(el("p", "zone-you-agreed", gettext("Your party has agreed this version.")));
    }
    if (config.can.change) {
      actions.appendChild(this.button(gettext("Change details"), "zone-edit", function () { self.openForm(feature); }));
      actions.appendChild(this.button(gettext("Reshape"), "zone-reshape", function () { self.startReshape(id); }));
    }
    if (config.can.withdraw) {
      actions.appendChild(this.button(gettext("Withdraw"), "danger zone-withdraw", function () {
        if (window.confirm(gettext("Withdraw this zone? It stays on record as withdrawn."))) {
          self.withdraw(id, message);
        }
      }));
    }
    if (actions.childNodes.length) {
      box.appendChild(actions);
    }
    box.appendChild(message);
    return box;
  };

  EventMap.prototype.button = function (text, className, onClick) {
    var button = el("button", className, text);
    button.type = "button";
    button.addEventListener("click", onClick);
    return button;
  };

  EventMap.prototype.renderList = function () {
    var self = this;
    var list = this.listNode;
    list.textContent = "";
    Object.keys(this.features).map(Number).sort(function (a, b) { return a - b; }).forEach(function (id) {
      var p = self.features[id].properties;
      var item = el("li", "zone-item zone-status-" + p.status);
      item.setAttribute("data-zone-id", id);
      item.setAttribute("data-status", p.status);
      var swatch = el("span", "zone-swatch" + (p.status === "proposed" ? " zone-swatch-proposed" : ""));
      swatch.style.background = colourOf(p.kind);
      item.appendChild(swatch);
      var show = self.button(p.label || labels.kinds[p.kind] || p.kind, "link-button zone-show", function () {
        var layer = self.layers[id];
        if (layer) {
          // The list is below the map: bring the map on screen first, or the popup opens
          // out of view. Not animated: the popup is placed (and panned into view) where
          // the map ends up.
          self.map.getContainer().scrollIntoView({block: "center"});
          self.map.fitBounds(layer.getBounds(), {maxZoom: 18, padding: [20, 20], animate: false});
          layer.openPopup();
          // The popup sits inside the map, above the list: take the focus there, or the next
          // Tab would go on down the page, away from its buttons (keyboard users).
          var opened = layer.getPopup() && layer.getPopup().getElement();
          var box = opened && opened.querySelector(".zone-popup");
          if (box) {
            box.tabIndex = -1;
            box.focus({preventScroll: true});
          }
        }
      });
      item.appendChild(show);
      item.appendChild(el("span", "zone-item-kind", " " + (labels.kinds[p.kind] || p.kind) + " · "));
      item.appendChild(el("span", "zone-status zone-status-" + p.status, labels.statuses[p.status] || p.status));
      if ((p.agreed_by || []).length && p.status !== "agreed") {
        item.appendChild(el("span", "zone-item-agreed muted", " · " + gettext("Agreed by:") + " " +
          p.agreed_by.map(function (party) { return labels.parties[party] || party; }).join(", ")));
      }
      list.appendChild(item);
    });
  };

  EventMap.prototype.say = function (text) {
    this.statusNode.textContent = text;
    this.statusNode.hidden = !text;
  };

  /* An error next to the map, with an optional action (e.g. accept the repaired shape). */
  EventMap.prototype.showError = function (texts, action) {
    var node = this.errorNode;
    node.textContent = "";
    if (!texts || !texts.length) {
      node.hidden = true;
      return;
    }
    texts.forEach(function (text) { node.appendChild(el("span", "zone-error-line", text)); });
    if (action) {
      var button = this.button(action.label, "zone-error-action", action.run);
      node.appendChild(button);
    }
    node.hidden = false;
  };

  /* --- agreeing and withdrawing ------------------------------------------------------- */

  EventMap.prototype.agree = function (feature, button, message) {
    var self = this;
    var id = feature.properties.id;
    button.disabled = true;
    button.textContent = gettext("Agreeing…");
    api("POST", urlFor(config.agreements_url, id), {version: feature.properties.version}).then(function (answer) {
      if (answer.ok) {
        delete self.notes[id];
        self.showError([]);
        self.upsert(answer.data);
        return;
      }
      var texts = problems(answer.data).texts;
      self.notes[id] = texts.join(" ");
      button.disabled = false;
      button.textContent = pgettext("agree a zone", "Agree");
      message.textContent = self.notes[id];
      message.hidden = false;
      self.showError(texts);
      if (answer.status === 409) {
        // The zone changed meanwhile: show what is current now, and say why.
        api("GET", urlFor(config.zone_url, id)).then(function (fresh) {
          if (fresh.ok) {
            self.upsert(fresh.data);
          }
        });
      }
    });
  };

  EventMap.prototype.withdraw = function (id, message) {
    var self = this;
    api("POST", urlFor(config.withdraw_url, id)).then(function (answer) {
      if (answer.ok) {
        delete self.notes[id];
        self.map.closePopup();
        self.showError([]);
        self.upsert(answer.data);
      } else {
        var texts = problems(answer.data).texts;
        self.notes[id] = texts.join(" ");
        message.textContent = self.notes[id];
        message.hidden = false;
        self.showError(texts);
      }
    });
  };

  /* --- drawing ------------------------------------------------------------------------ */

  EventMap.prototype.setMode = function (mode) {
    if (!this.tools) {
      return;
    }
    var parts = {idle: ".zone-tools-idle", drawing: ".zone-tools-drawing", reshaping: ".zone-tools-reshaping"};
    var tools = this.tools;
    Object.keys(parts).forEach(function (name) {
      var node = tools.querySelector(parts[name]);
      if (node) {
        node.hidden = name !== mode;
      }
    });
    section.setAttribute("data-mode", mode);
  };

  EventMap.prototype.bindTools = function () {
    var self = this;
    var map = this.map;
    if (!this.tools || typeof L.Draw === "undefined") {
      return;
    }
    this.tools.querySelectorAll(".zone-draw").forEach(function (button) {
      button.addEventListener("click", function () { self.startDrawing(button.getAttribute("data-shape")); });
    });
    var on = function (selector, handler) {
      var node = self.tools.querySelector(selector);
      if (node) {
        node.addEventListener("click", handler);
      }
    };
    on(".zone-finish", function () {
      if (!self.drawing || !self.drawing.completeShape) {
        return;
      }
      // Leaflet.draw ignores Finish on a polygon of fewer than three corners without a
      // word; say why nothing happens (its corners are its private _markers).
      if ((self.drawing._markers || []).length < 3) {
        self.showError([gettext("A zone needs at least three corners: tap the map to add another corner, then Finish.")]);
        return;
      }
      self.showError([]);
      self.drawing.completeShape();
    });
    on(".zone-undo", function () {
      if (self.drawing && self.drawing.deleteLastVertex) {
        self.drawing.deleteLastVertex();
      }
    });
    on(".zone-cancel", function () { self.stopDrawing(); });
    on(".zone-save-shape", function () { self.saveReshape(); });
    on(".zone-cancel-shape", function () { self.endReshape(); });
    map.on(L.Draw.Event.CREATED, function (event) {
      self.drawn = event.layer;
      self.drawn.addTo(map);
      self.openForm(null);
    });
    map.on(L.Draw.Event.DRAWSTOP, function () {
      self.drawing = null;
      self.say("");
      if (!self.reshaping) {
        self.setMode("idle");
      }
    });
    this.setMode("idle");
  };

  EventMap.prototype.startDrawing = function (shape) {
    this.closeForm();
    this.stopDrawing();
    this.showError([]);
    this.say("");
    var style = {color: colourOf("assembly"), weight: 3, dashArray: "8 6", fillOpacity: 0.15};
    if (shape === "rectangle") {
      // showArea off: Leaflet.draw 1.0.4's area text fails on rectangles.
      this.drawing = new L.Draw.Rectangle(this.map, {showArea: false, shapeOptions: style});
    } else {
      this.drawing = new L.Draw.Polygon(this.map, {allowIntersection: true, showArea: false,
                                                   shapeOptions: style});
    }
    this.drawing.enable();
    this.setMode("drawing");
    this.say(shape === "rectangle"
      ? gettext("Press on one corner of the rectangle and drag to the opposite corner, then let go.")
      : gettext("Tap the map at each corner of the zone, then Finish."));
    var finish = this.tools.querySelector(".zone-finish");
    var undo = this.tools.querySelector(".zone-undo");
    finish.hidden = undo.hidden = shape === "rectangle";
  };

  EventMap.prototype.stopDrawing = function () {
    if (this.drawing) {
      this.drawing.disable();
      this.drawing = null;
    }
    this.setMode("idle");
  };

  /* --- the form: a new zone's details, or a zone's changed details ----------------------- */

  EventMap.prototype.field = function (name) {
    return this.form.elements[name];
  };

  EventMap.prototype.bindForm = function () {
    var self = this;
    if (!this.form) {
      return;
    }
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.form.querySelector(".zone-form-cancel").addEventListener("click", function () { self.closeForm(); });
    this.form.querySelector(".zone-use-repair").addEventListener("click", function () {
      if (self.repair && self.drawn) {
        self.map.removeLayer(self.drawn);
        self.drawn = L.GeoJSON.geometryToLayer({type: "Feature", geometry: self.repair, properties: {}});
        self.drawn.addTo(self.map);
        self.repair = null;
        self.submit();
      }
    });
  };

  EventMap.prototype.formValues = function () {
    return {
      kind: this.field("kind").value,
      label: this.field("label").value.trim(),
      valid_from: this.field("valid_from").value,
      valid_to: this.field("valid_to").value,
      conditions: this.field("conditions").value
    };
  };

  EventMap.prototype.openForm = function (feature) {
    if (!this.form) {
      return;
    }
    this.map.closePopup();
    this.editing = feature ? feature.properties.id : null;
    var p = feature ? feature.properties : {kind: config.drawable_kinds[0], label: "", conditions: "",
                                            valid_from: config.starts_at, valid_to: config.ends_at};
    this.field("kind").value = p.kind;
    this.field("label").value = p.label || "";
    this.field("valid_from").value = toLocalInput(p.valid_from);
    this.field("valid_to").value = toLocalInput(p.valid_to);
    this.field("conditions").value = p.conditions || "";
    this.initial = this.formValues();
    var heading = this.form.querySelector(".zone-form-heading");
    heading.textContent = feature ? gettext("Change zone") : gettext("New zone");
    this.clearFieldErrors();
    this.form.hidden = false;
    this.form.scrollIntoView({block: "nearest"});
    this.field("kind").focus({preventScroll: true});
  };

  EventMap.prototype.closeForm = function () {
    if (!this.form) {
      return;
    }
    this.form.hidden = true;
    this.editing = null;
    this.repair = null;
    if (this.drawn) {
      this.map.removeLayer(this.drawn);
      this.drawn = null;
    }
  };

  EventMap.prototype.clearFieldErrors = function () {
    this.form.querySelectorAll(".zone-field-error").forEach(function (node) {
      node.textContent = "";
      node.hidden = true;
    });
    this.form.querySelector(".zone-use-repair").hidden = true;
  };

  EventMap.prototype.showFieldErrors = function (found) {
    var form = this.form;
    var rest = [];
    Object.keys(found.fields).forEach(function (name) {
      var spot = form.querySelector('.zone-field-error[data-field="' + name + '"]') ||
        form.querySelector('.zone-field-error[data-field="non_field_errors"]');
      spot.textContent = [spot.textContent].concat(found.fields[name]).filter(Boolean).join(" ");
      spot.hidden = false;
      rest = rest.concat(found.fields[name]);
    });
    this.repair = found.repair;
    form.querySelector(".zone-use-repair").hidden = !(found.repair && this.drawn);
    if (found.repair && this.drawn) {
      var offer = form.querySelector('.zone-field-error[data-field="geometry"]');
      offer.textContent = [offer.textContent, gettext("Parley can repair this shape: choose “Use the repaired shape” to save it repaired.")].filter(Boolean).join(" ");
      offer.hidden = false;
    }
    this.showError(rest);
  };

  EventMap.prototype.submit = function () {
    var self = this;
    var values = this.formValues();
    var body = {};
    var method;
    var url;
    if (this.editing === null) {
      if (!this.drawn) {
        this.showError([gettext("A zone is an area: draw a polygon or a rectangle.")]);
        return;
      }
      body = {kind: values.kind, label: values.label, conditions: values.conditions,
              valid_from: fromLocalInput(values.valid_from), valid_to: fromLocalInput(values.valid_to),
              geometry: this.drawn.toGeoJSON().geometry};
      method = "POST";
      url = config.zones_url;
    } else {
      // Only what was changed: an untouched time must not make a new version.
      Object.keys(values).forEach(function (name) {
        if (values[name] !== self.initial[name]) {
          body[name] = name.indexOf("valid_") === 0 ? fromLocalInput(values[name]) : values[name];
        }
      });
      method = "PATCH";
      url = urlFor(config.zone_url, this.editing);
    }
    var save = this.form.querySelector(".zone-save");
    save.disabled = true;
    this.clearFieldErrors();
    api(method, url, body).then(function (answer) {
      save.disabled = false;
      if (answer.ok) {
        self.closeForm();
        self.showError([]);
        self.upsert(answer.data);
        self.say(gettext("Zone saved."));
        return;
      }
      self.showFieldErrors(problems(answer.data));
    });
  };

  /* --- reshaping (Leaflet.draw's vertex editing) ---------------------------------------- */

  EventMap.prototype.startReshape = function (id) {
    var layer = this.layers[id];
    if (!layer || !layer.editing) {
      return;
    }
    this.stopDrawing();
    this.closeForm();
    this.map.closePopup();
    this.showError([]);
    this.say("");
    this.reshaping = {id: id, layer: layer};
    layer.editing.enable();
    this.setMode("reshaping");
  };

  EventMap.prototype.endReshape = function () {
    var reshaping = this.reshaping;
    if (!reshaping) {
      return;
    }
    reshaping.layer.editing.disable();
    this.reshaping = null;
    this.setMode("idle");
    // What is current: heard while reshaping, or the shape as it was.
    var feature = this.deferred[reshaping.id] || this.features[reshaping.id];
    delete this.deferred[reshaping.id];
    if (feature) {
      this.reshaped = reshaping.id;
      this.upsert(feature);
      this.reshaped = null;
    }
  };

  EventMap.prototype.saveReshape = function (geometry) {
    var self = this;
    var reshaping = this.reshaping;
    if (!reshaping) {
      return;
    }
    var shape = geometry || reshaping.layer.toGeoJSON().geometry;
    api("PATCH", urlFor(config.zone_url, reshaping.id), {geometry: shape}).then(function (answer) {
      if (answer.ok) {
        self.deferred[reshaping.id] = answer.data;
        self.endReshape();
        self.showError([]);
        self.say(gettext("Zone saved."));
        return;
      }
      var found = problems(answer.data);
      self.showError(found.texts, found.repair ? {
        label: self.form ? self.form.querySelector(".zone-use-repair").textContent : "OK",
        run: function () { self.saveReshape(found.repair); }
      } : null);
    });
  };

  /* --- start --------------------------------------------------------------------------- */

  window.parleyShowEvent = function (map) {
    var source = document.getElementById("event-geometry");
    var places = showPlaces(map, source ? JSON.parse(source.textContent) : {});
    controller = new EventMap(map);
    controller.replaceAll(config.zones);
    early.splice(0).forEach(function (frame) { controller.hear(frame); });
    var bounds = places.getBounds();
    var zones = controller.group.getBounds();
    if (zones.isValid()) {
      bounds = bounds.isValid() ? bounds.extend(zones) : zones;
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17});
    }
  };
}

startEventMap();
