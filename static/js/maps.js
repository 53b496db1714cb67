/* Parley: every Leaflet map stays usable when the background tiles cannot be loaded.
 *
 * django-leaflet announces each map with a "map:init" event on window. When a tile fails,
 * the map keeps its plain grey background (drawing still works) and says so once, below
 * the map, so nobody waits for a background that will not come.
 */
import {el} from "./dom.js";
import {gettext} from "./i18n.js";

window.addEventListener("map:init", function (e) {
  const map = e.detail.map;
  const container = map.getContainer();
  let warned = false;
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
      const note = el("p", "map-notice", gettext(
        "The background map could not be loaded; the map still works on its grey background."));
      note.setAttribute("role", "status");
      container.insertAdjacentElement("afterend", note);
    });
  });
});
