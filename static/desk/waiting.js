/* Parley: "Waiting for you" outside the desk (templates/desk/_waiting_box.html, on the
 * organisers' list of demonstrations; an ES module).
 *
 * Organisers have no desk socket (the desk's notices are about every demonstration), so the
 * list is fetched again (GET /desk/waiting/, only the section) whenever the page comes back
 * into view — the tab shown again, the window focused, the page restored from the back/forward
 * cache — at most once every few seconds, and every data-refresh-seconds (30) while it is in
 * view. A page nobody looks at (hidden tab, locked phone) fetches nothing.
 */

var MIN_INTERVAL_MS = 3000;
var DEFAULT_PERIOD_S = 30;

function startWaiting() {
  var box = document.getElementById("waiting-for-you-box");
  if (!box || !box.dataset.url) {
    return;
  }
  var lastFetch = Date.now();
  var fetching = false;

  function refresh() {
    if (fetching || document.visibilityState !== "visible"
        || Date.now() - lastFetch < MIN_INTERVAL_MS) {
      return;
    }
    fetching = true;
    lastFetch = Date.now();
    fetch(box.dataset.url, {
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"},
      cache: "no-store",
    }).then(function (response) {
      if (!response.ok || response.redirected) {
        throw new Error("waiting: " + response.status);
      }
      return response.text();
    }).then(function (html) {
      // Our own server's template, every text escaped there (as the desk's sections).
      box.innerHTML = html;
      box.dataset.refreshedAt = String(Date.now());
    }).catch(function () {
      // The next time the page comes into view tries again.
    }).then(function () {
      fetching = false;
    });
  }

  var period = Number(box.dataset.refreshSeconds) || DEFAULT_PERIOD_S;
  window.setInterval(refresh, period * 1000);
  document.addEventListener("visibilitychange", refresh);
  window.addEventListener("focus", refresh);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      lastFetch = 0;
      refresh();
    }
  });
}

startWaiting();
