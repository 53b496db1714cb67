/* Parley: a WebSocket to this site that reconnects by itself (the live channel, the desk).
 *
 * - After a drop it waits, then tries again: exponential back-off with jitter (1 s, 2 s, 4 s…
 *   up to maxDelayMs, each wait a random point in its upper half, so that a hundred pages
 *   cut off together do not all come back in the same second).
 * - A close whose code is in `closeReasons` (4401 logged out, 4403 not allowed…) ends it:
 *   trying again would only be refused again.
 * - The browser going offline drops the socket at once; coming back online, or a phone's page
 *   becoming visible again, reconnects at once instead of waiting out the back-off.
 * - With `heartbeat`, it pings now and then ({"type": "ping"}) and drops a connection that has
 *   not answered (any frame) in time: a connection can die without a close (a phone changing
 *   network).
 *
 * What the page does with it is said through callbacks, all optional:
 *   onConnecting()          a new attempt begins
 *   onOpen(reconnected)     open; `reconnected` when an earlier connection or attempt failed
 *   onFrame(frame)          a frame (JSON) arrived
 *   onDropped()             the connection was lost (a retry follows, or onStop)
 *   onRetry(due)            the next attempt is due at `due` (ms since the epoch)
 *   onStop(reason)          given up for good: the `closeReasons` value of the close code
 * A close that ends it is also dispatched on the document as `parley:socket-closed`
 * ({path, code}).
 */

export class ReconnectingSocket {
  constructor(path, options) {
    const opts = options || {};
    this.path = path;
    this.baseDelayMs = opts.baseDelayMs || 1000;
    this.maxDelayMs = opts.maxDelayMs || 15000;
    this.closeReasons = opts.closeReasons || {};
    this.heartbeat = opts.heartbeat || null;  // {everyMs, withinMs}
    this.on = opts;
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.started = false;
    this.timers = {reconnect: null, ping: null, pong: null};
  }

  /** Connect, and keep connecting until stop() or a closing code. */
  start() {
    if (!this.started) {
      this.started = true;
      this.watchNetwork();
    }
    this.connect();
  }

  /** Whether the socket is open. */
  get open() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  /** Send `frame` as JSON; false when not connected (nothing is queued here). */
  send(frame) {
    if (!this.open) {
      return false;
    }
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** The connection works (e.g. everything is subscribed): the next drop waits 1 s again. */
  settled() {
    this.attempt = 0;
  }

  /** Try now rather than at the end of the wait (a "Reconnect now" button). */
  reconnectNow() {
    if (this.stopped) {
      return;
    }
    this.attempt = 0;
    if (!this.ws) {
      this.connect();
    }
  }

  /** Give up for good (the page will not use the connection any more). */
  stop() {
    this.stopped = true;
    Object.keys(this.timers).forEach((name) => this.clear(name));
    this.forget();
  }

  /* --- inside ------------------------------------------------------------------------- */

  call(name, ...args) {
    if (typeof this.on[name] === "function") {
      this.on[name](...args);
    }
  }

  clear(name) {
    clearTimeout(this.timers[name]);
    clearInterval(this.timers[name]);
    this.timers[name] = null;
  }

  connect() {
    this.clear("reconnect");
    if (this.stopped || this.ws) {
      return;
    }
    this.call("onConnecting");
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try {
      ws = new WebSocket(scheme + window.location.host + this.path);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) {
        return;
      }
      this.startHeartbeat();
      this.call("onOpen", this.attempt > 0);
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) {
        return;
      }
      this.clear("pong");  // it answers
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      this.call("onFrame", frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) {
        return;
      }
      if (this.closeReasons[event.code]) {
        // Said to the whole page too: the service worker's offline pack drops what this
        // person may no longer see (static/js/pwa.js).
        document.dispatchEvent(new CustomEvent("parley:socket-closed",
                                               {detail: {path: this.path, code: event.code}}));
      }
      this.dropped(this.closeReasons[event.code]);
    };
  }

  /* Let go of the socket without hearing from it again. */
  forget() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch (e) { /* already closed */ }
    }
  }

  /* The socket is gone (or given up on): forget it and plan the next attempt. */
  dropped(reason) {
    this.forget();
    this.clear("ping");
    this.clear("pong");
    this.call("onDropped");
    if (reason) {
      this.stop();
      this.call("onStop", reason);
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) {
      return;
    }
    this.clear("reconnect");
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * Math.pow(2, this.attempt));
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
    this.attempt += 1;
    this.timers.reconnect = setTimeout(() => this.connect(), delay);
    this.call("onRetry", Date.now() + delay);
  }

  startHeartbeat() {
    this.clear("ping");
    if (this.heartbeat) {
      this.timers.ping = setInterval(() => this.probe(), this.heartbeat.everyMs);
    }
  }

  /* Ask the server for a sign of life; no answer in time drops the connection. */
  probe() {
    if (this.heartbeat && this.send({type: "ping"}) && !this.timers.pong) {
      this.timers.pong = setTimeout(() => {
        this.timers.pong = null;
        this.dropped();
      }, this.heartbeat.withinMs);
    }
  }

  watchNetwork() {
    window.addEventListener("offline", () => {
      if (this.stopped) {
        return;
      }
      if (this.ws) {
        this.dropped();
      } else {
        this.scheduleReconnect();
      }
    });
    window.addEventListener("online", () => this.reconnectNow());
    // A phone waking up: make sure the connection is still there, or make a new one now.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible" || this.stopped) {
        return;
      }
      if (this.ws) {
        this.probe();
      } else {
        this.reconnectNow();
      }
    });
  }
}
