/* Parley: every Leaflet map stays usable when the background tiles cannot be loaded.
 *
 * django-leaflet announces each map with a "map:init" event on window. When a tile fails,
 * the map keeps its plain grey background (drawing still works) and says so once, below
 * the map, so nobody waits for a background that will not come.
 */
(function () {
  "use strict";

  function noticeText() {
    var el = document.getElementById("map-tiles-unavailable");
    return el ? el.textContent : "The background map is unavailable; you can still use the map.";
  }

  window.addEventListener("map:init", function (e) {
    var map = e.detail.map;
    var container = map.getContainer();
    var warned = false;
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.TileLayer)) {
        return;
      }
      layer.on("tileerror", function () {
        if (warned) {
          return;
        }
        warned = true;
        container.classList.add("tiles-unavailable");
        var note = document.createElement("p");
        note.className = "map-notice";
        note.setAttribute("role", "status");
        note.textContent = noticeText();
        container.insertAdjacentElement("afterend", note);
      });
    });
  });
})();
