/* Registers Parley's service worker (/sw.js, its scope the whole site) on every page. */
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {
    /* no service worker (private mode, an old browser): the pages still work online */
  });
}
