/* Parley: the read-only map on a demonstration's page.
 *
 * The page carries the event's places as GeoJSON in <script id="event-geometry"
 * type="application/json"> (Django's json_script); django-leaflet creates the map and calls
 * window.parleyShowEvent(map) once it exists.
 */
(function () {
  "use strict";

  var STYLES = {
    assembly_point: {radius: 9, color: "#0b6e4f", fillColor: "#18a558", fillOpacity: 0.9, weight: 2},
    dispersal_point: {radius: 9, color: "#8a1c1c", fillColor: "#d64545", fillOpacity: 0.9, weight: 2},
    route: {color: "#1d4ed8", weight: 5, opacity: 0.9}
  };

  window.parleyShowEvent = function (map) {
    var source = document.getElementById("event-geometry");
    if (!source) {
      return;
    }
    var places = JSON.parse(source.textContent);
    var group = L.featureGroup();
    ["route", "assembly_point", "dispersal_point"].forEach(function (name) {
      var geometry = places[name];
      if (!geometry) {
        return;
      }
      L.geoJSON(geometry, {
        style: function () { return STYLES[name]; },
        pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, STYLES[name]); }
      }).addTo(group);
    });
    group.addTo(map);
    var bounds = group.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17});
    }
  };
})();
