/* Parley: starts django-leaflet's maps and geometry fields without inline scripts.
 *
 * django-leaflet writes an inline <script> for every {% leaflet_map %} and every
 * LeafletWidget. Parley's copies of those templates (templates/leaflet/) write the same
 * options into data- attributes instead, and this file does what those scripts did, so the
 * Content-Security-Policy can forbid inline scripts (docs/security.md, "Hardening"):
 *
 * - <span data-leaflet-field="ID" ...>: defines the global callback that adds the geometry
 *   field ID (textarea) to its map, as django-leaflet's widget script did.
 * - <span data-leaflet-map="NAME" ...>: calls L.Map.djangoMap(NAME, options) on the page's
 *   load event(s) (LEAFLET_CONFIG LOADEVENT, "load" by default), with the named callback
 *   (e.g. "window.parleyShowEvent"), and keeps window["leafletmap" + NAME] as before.
 *
 * Loaded by {% leaflet_js %} (templates/leaflet/js.html) right after leaflet.extras.js.
 */
(function () {
  "use strict";

  /* "window.parleyShowEvent" or "L.GeometryField" → the object it names, or null. */
  function named(path) {
    if (!path) {
      return null;
    }
    var parts = path.split(".");
    var target = window;
    if (parts[0] === "window") {
      parts.shift();
    }
    for (var i = 0; i < parts.length && target; i++) {
      target = target[parts[i]];
    }
    return target || null;
  }

  function startField(marker) {
    var data = marker.dataset;
    var module = {
      fieldid: data.leafletField,
      modifiable: data.modifiable === "true",
      geom_type: data.geomType,
      srid: Number(data.srid)
    };
    window[data.module] = module;
    var callback = function (map, options) {
      module.field_store_class = named(data.fieldStoreClass);
      module.precision = options.djoptions.precision;
      (new (named(data.geometryFieldClass))(module)).addTo(map);
    };
    window[data.callback] = callback;
    if (data.targetMap) {
      // A field drawn on another form field's map (django-leaflet's target_map).
      window.addEventListener("map:init", function (e) {
        var targetMap = e.detail.map;
        targetMap.on("map:loadfield", function (me) {
          if (me.fieldid === "id_" + data.targetMap) {
            window.setTimeout(function () { callback(targetMap, e.detail.options); }, 0);
          }
        });
      }, false);
    }
  }

  function startMap(marker) {
    var data = marker.dataset;
    var name = data.leafletMap;
    var globals = data.globals === "true";
    function loadmap() {
      var options = {
        djoptions: JSON.parse(data.djoptions),
        initfunc: loadmap,
        globals: globals,
        callback: named(data.callback)
      };
      var map = L.Map.djangoMap(name, options);
      if (globals && map) {
        window["leafletmap" + name] = map;
      }
    }
    if (globals) {
      window["loadmap" + name] = loadmap;
    }
    var loadevents = JSON.parse(data.loadevents || "[]");
    if (loadevents.length === 0 || (document.readyState === "complete" &&
                                     loadevents.indexOf("load") !== -1)) {
      loadmap();
      return;
    }
    loadevents.forEach(function (name) { window.addEventListener(name, loadmap, false); });
  }

  function start() {
    document.querySelectorAll("[data-leaflet-field]").forEach(startField);
    document.querySelectorAll("[data-leaflet-map]").forEach(startMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
