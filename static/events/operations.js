/* Parley: the operations screen, a demonstration's page on the day (an ES module; the page
 * is templates/events/event_detail.html, its tabs templates/events/_operations_tabs.html).
 *
 * On a narrow screen (a phone) the page's panes become tabs: the live channel first, the map,
 * then the details. The tabs follow the WAI-ARIA tabs pattern: one tab in the Tab order,
 * arrow keys, Home and End move between them, and the panes are tabpanels only while they are
 * tabs. On a wide screen map and channel sit side by side (static/events/operations.css), each
 * with its own scroll area as tall as what is left of the window: the page sets that height
 * from where the panes start (--operations-top).
 *
 * The map is made while its tab may be hidden, and Leaflet measures its box only when told:
 * showing the map tab (or a change of layout) calls map.invalidateSize().
 */
import {fill, ngettext} from "../js/i18n.js";

/** As django-leaflet keeps the map of {% leaflet_map "event-map" %} (static/js/leaflet_init.js). */
const MAP_KEY = "leafletmapevent-map";
/** Narrower than this, the panes are tabs; the same width as operations.css. */
const NARROW = "(max-width: 59.99rem)";

function startOperations() {
  const root = document.getElementById("event-panes");
  const tablist = document.getElementById("operations-tabs");
  if (!root || !tablist) {
    return;
  }
  const tabs = Array.from(tablist.querySelectorAll('[role="tab"]'));
  const narrow = window.matchMedia(NARROW);

  function panesOf(tab) {
    return tab.getAttribute("aria-controls").split(/\s+/)
      .map(function (id) { return document.getElementById(id); })
      .filter(Boolean);
  }

  function refreshMap() {
    const map = window[MAP_KEY];
    if (map && typeof map.invalidateSize === "function") {
      map.invalidateSize();
    }
  }

  function measure() {
    const top = root.getBoundingClientRect().top + window.scrollY;
    root.style.setProperty("--operations-top", Math.max(0, Math.round(top)) + "px");
  }

  function select(tab, focus) {
    tabs.forEach(function (other) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", chosen ? "true" : "false");
      other.tabIndex = chosen ? 0 : -1;
      panesOf(other).forEach(function (pane) { pane.classList.toggle("is-shown", chosen); });
    });
    root.dataset.tab = tab.dataset.pane;
    if (focus) {
      tab.focus();
    }
    if (tab.dataset.pane === "map") {
      refreshMap();
    }
    fitChannel();
  }

  // The panes are tabpanels only while they are shown as tabs.
  function arrange() {
    const asTabs = narrow.matches;
    tabs.forEach(function (tab) {
      panesOf(tab).forEach(function (pane) {
        if (asTabs) {
          pane.setAttribute("role", "tabpanel");
          pane.setAttribute("aria-labelledby", tab.id);
        } else {
          pane.removeAttribute("role");
          pane.removeAttribute("aria-labelledby");
        }
      });
    });
    measure();
    refreshMap();
    fitChannel();
  }

  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function () { select(tab, false); });
    tab.addEventListener("keydown", function (event) {
      let next = null;
      if (event.key === "ArrowRight") {
        next = tabs[(index + 1) % tabs.length];
      } else if (event.key === "ArrowLeft") {
        next = tabs[(index - 1 + tabs.length) % tabs.length];
      } else if (event.key === "Home") {
        next = tabs[0];
      } else if (event.key === "End") {
        next = tabs[tabs.length - 1];
      }
      if (next) {
        event.preventDefault();
        select(next, true);
      }
    });
  });

  // The channel's tab counts what waits for the reader's acknowledgement, so that it is
  // seen from the map or the details too.
  const badge = tablist.querySelector(".operations-badge");
  const pending = document.querySelector("#channel-pending .channel-pending-list");
  if (badge && pending) {
    const count = function () {
      const owed = pending.children.length;
      badge.hidden = owed === 0;
      // The number is all a narrow tab has room for; the sentence is read out.
      badge.querySelector(".operations-badge-count").textContent = String(owed);
      badge.querySelector(".operations-badge-text").textContent = fill(
        ngettext("%(count)s to acknowledge", "%(count)s to acknowledge", owed), {count: owed});
    };
    new MutationObserver(count).observe(pending, {childList: true});
    count();
  }

  // The channel's newest message sits just above the composer, with the acknowledgements
  // waiting above it: the list is as tall as what the pending box (capped in CSS) and the
  // composer leave of the channel's column (wide) or of the window (narrow), never less
  // than a few messages, so that its end never lies under the pinned composer.
  const channelPane = document.getElementById("event-pane-channel");
  const composer = document.getElementById("channel-composer");
  const LEAST = 8 * parseFloat(getComputedStyle(document.documentElement).fontSize || "16");

  function fitChannel() {
    const list = channelPane && channelPane.querySelector(".channel-log:not([hidden]) .channel-messages");
    if (!list || !composer || list.getClientRects().length === 0) {
      return;
    }
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    let top;
    let height;
    if (narrow.matches) {
      top = list.getBoundingClientRect().top + window.scrollY;
      height = window.innerHeight;
    } else {
      const box = channelPane.getBoundingClientRect();
      top = list.getBoundingClientRect().top - box.top - channelPane.clientTop + channelPane.scrollTop;
      height = channelPane.clientHeight;
    }
    const outbox = list.nextElementSibling;
    const below = composer.offsetHeight + parseFloat(getComputedStyle(composer).marginTop || "0")
      + (outbox ? outbox.offsetHeight : 0) + 12;
    list.style.maxHeight = Math.max(LEAST, Math.floor(height - top - below)) + "px";
    if (atEnd) {
      list.scrollTop = list.scrollHeight;
    }
  }

  if (channelPane && composer && "ResizeObserver" in window) {
    const watcher = new ResizeObserver(function () { fitChannel(); });
    ["channel-pending", "channel-composer", "channel-error", "channel-state-notice"].forEach(function (id) {
      const node = document.getElementById(id);
      if (node) {
        watcher.observe(node);
      }
    });
    channelPane.addEventListener("click", function (event) {
      if (event.target.closest(".channel-tab")) {
        window.requestAnimationFrame(fitChannel);
      }
    });
    window.addEventListener("resize", fitChannel);
  }

  // A link to a part of another pane (the zones, the incidents) opens that pane first.
  root.addEventListener("click", function (event) {
    const link = event.target.closest('a[href^="#"]');
    const target = link && document.getElementById(link.getAttribute("href").slice(1));
    const tab = target && tabs.find(function (candidate) {
      return panesOf(candidate).some(function (pane) { return pane.contains(target); });
    });
    if (tab && narrow.matches && tab.getAttribute("aria-selected") !== "true") {
      select(tab, false);
    }
  });

  narrow.addEventListener("change", arrange);
  window.addEventListener("resize", measure);
  window.addEventListener("load", arrange);
  tablist.hidden = false;
  select(tabs[0], false);
  arrange();
}

startOperations();
