/* Parley: the live channel panel of a demonstration's page (an ES module; docs/protocol.md,
 * "The live channel").
 *
 * Configuration comes from <script id="channel-config" type="application/json"> (json_script),
 * the words from the language's JavaScript catalog (static/js/i18n.js); nothing here is
 * inline in a page, so a Content-Security-Policy without inline scripts is enough.
 *
 * Reliability, in short:
 * - the socket reconnects by itself (static/js/socket.js: back-off with jitter, at most ~15 s,
 *   a heartbeat, and at once when the network or the page comes back);
 * - on every (re)connect each readable channel is subscribed with after_seq = the last seq
 *   shown there, so the server replays exactly what is missing;
 * - messages are shown strictly in seq order; a seq already shown is ignored, a seq that
 *   skips ahead is held back and the gap is asked for again;
 * - what the user sends or acknowledges goes through an outbox kept on the device (IndexedDB,
 *   static/messaging/device_store.js) under a client_id chosen when they press the button:
 *   it survives a reload, closing the tab and restarting the browser; items go one at a time,
 *   in the order written, and after a reconnect or a reload the same frame goes again with the
 *   same client_id (the server stores it once), until `sent` (an acknowledgement: `acked`);
 * - the messages shown are kept on the device too (the last HISTORY_KEEP per channel), and
 *   shown, marked as saved, when the page opens without a connection.
 *
 * Message bodies and names are only ever inserted as text (textContent), never as HTML.
 * Other parts of the page hear every frame as a "parley:frame" DOM event on document.
 */
import {el} from "../js/dom.js";
import {fill, gettext, ngettext, pgettext} from "../js/i18n.js";
import {ReconnectingSocket} from "../js/socket.js";
import {formatFullTime, formatTime} from "../js/time.js";
import {openDeviceStore} from "./device_store.js";

function startChannel() {
  var panel = document.getElementById("channel-panel");
  var configNode = document.getElementById("channel-config");
  if (!panel || !configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var me = config.me;

  var MAX_DELAY_MS = 15000;
  var PING_EVERY_MS = 20000;
  var PONG_WITHIN_MS = 10000;
  var RETRY_AFTER_MS = {rate_limited: 5000, unavailable: 3000};
  // Closes that end the connection for good, and what the person is told.
  var CLOSE_REASONS = {
    4401: gettext("You are logged out: log in again to use the live channel."),
    4403: gettext("You are no longer a member of this demonstration, so its channel is closed to you."),
    4404: gettext("This demonstration is no longer available.")
  };
  // Where the page kept its outbox before IndexedDB: moved over once, then removed.
  var OLD_OUTBOX_KEY = "parley.outbox." + config.event + "." + me.id;
  var HISTORY_KEEP = 500;     // messages kept on the device per channel
  var REMEMBER_AFTER_MS = 300;// messages shown together are written together
  var MUTE_KEY = "parley.alertsMuted";

  /* --- small helpers ------------------------------------------------------------------ */

  function $(selector, root) {
    return (root || panel).querySelector(selector);
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // Pages served over plain http on a local network have no randomUUID.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20),
      hex.slice(20)].join("-");
  }

  function timeNode(iso) {
    var node = el("time", "msg-time", formatTime(iso));
    node.dateTime = iso;
    node.title = formatFullTime(iso);
    return node;
  }

  function roleLabel(role) {
    return config.roles[role] || role;
  }

  function personText(person) {
    return person.id === me.id ? fill(gettext("%(name)s (you)"), {name: person.name}) : person.name;
  }

  function storage(kind) {
    try {
      var store = window[kind];
      var probe = "parley.probe";
      store.setItem(probe, probe);
      store.removeItem(probe);
      return store;
    } catch (e) {
      return null; // private mode or storage disabled: work from memory only
    }
  }

  var local = storage("localStorage");

  /* --- state -------------------------------------------------------------------------- */

  var channels = {};          // name -> {name, label, canPost, lastSeq, held, ...}
  var order = [];             // channel names in page order
  var messages = new Map();   // message id -> {frame, node, channel}
  var outbox = [];            // [{client_id, channel, kind, body | message_id, created, …}]
  var inFlight = new Set();   // client_ids sent on the current connection
  var device = null;          // the device store, once open (device_store.js)
  var saved = {};             // channel name -> message frames kept on the device
  var toRemember = new Map(); // message id -> frame, to be written to the device
  var active = null;          // the channel shown and written to
  var stopped = false;
  var lostConnection = false; // an attempt to connect failed since the page opened
  var timers = {countdown: null, retry: null, remember: null};
  var alertsSounded = 0;
  var forgotten = false;      // removed from the demonstration: nothing of it is kept

  config.channels.forEach(function (info) {
    var log = document.getElementById("channel-log-" + info.name);
    channels[info.name] = {
      name: info.name,
      label: info.label,
      canPost: info.can_post,
      lastSeq: 0,
      held: new Map(),        // seq -> frame that arrived ahead of a gap
      subscribed: false,
      resyncing: false,
      loaded: false,          // subscribed at least once on this page
      fromDevice: false,      // showing the messages kept on the device (offline)
      unread: 0,
      log: log,
      list: $(".channel-messages", log),
      outboxList: $(".channel-outbox", log),
      tab: document.getElementById("channel-tab-" + info.name)
    };
    order.push(info.name);
  });

  /* --- connection --------------------------------------------------------------------- */

  var statusNode = $("#channel-status");

  function setStatus(status, detail) {
    statusNode.dataset.status = status;
    $(".channel-status-text", statusNode).textContent =
      {connecting: gettext("Connecting…"), live: gettext("Live")}[status] || gettext("Offline");
    $(".channel-status-countdown", statusNode).textContent = detail ? "— " + detail : "";
    $(".channel-reconnect", statusNode).hidden = status !== "offline" || stopped;
    panel.dataset.connection = status;
  }

  function clearTimer(name) {
    clearTimeout(timers[name]);
    clearInterval(timers[name]);
    timers[name] = null;
  }

  var socket = new ReconnectingSocket(config.socket_path, {
    maxDelayMs: MAX_DELAY_MS,
    closeReasons: CLOSE_REASONS,
    heartbeat: {everyMs: PING_EVERY_MS, withinMs: PONG_WITHIN_MS},
    onConnecting: function () {
      clearTimer("countdown");
      inFlight.clear();
      setStatus("connecting");
    },
    onOpen: function () {
      order.forEach(function (name) {
        subscribe(channels[name]);
      });
    },
    onFrame: handle,
    onDropped: function () {
      inFlight.clear();
      order.forEach(function (name) {
        channels[name].subscribed = false;
        channels[name].resyncing = false;
      });
      flushOutbox(); // shows what waits for the network again
    },
    onRetry: function (due) {
      lostConnection = true;
      countDown(due);
      showSaved();
    },
    onStop: stop
  });

  function stop(explanation) {
    stopped = true;
    ["countdown", "retry"].forEach(clearTimer);
    setStatus("offline");
    showError(explanation);
    setComposerEnabled();
  }

  /* Removed from the demonstration (4403) or it is gone (4404): nothing of its channel stays
   * on the device, and what was still to be sent never goes (not even if the person is added
   * again later). The service worker drops the pack (static/js/pwa.js). */
  document.addEventListener("parley:socket-closed", function (event) {
    var detail = event.detail || {};
    if (detail.path === config.socket_path && (detail.code === 4403 || detail.code === 4404)) {
      forgetTheDemonstration();
    }
  });

  function forgetTheDemonstration() {
    forgotten = true;
    var acknowledged = outbox.filter(function (item) { return item.kind === "ack"; });
    outbox = [];
    inFlight.clear();
    toRemember.clear();
    clearTimer("remember");
    saved = {};
    renderOutbox();
    acknowledged.forEach(function (item) { renderAckPlace(item.message_id); });
    if (device) {
      device.forgetEvent(me.id, config.event).then(tellOtherTabs);
    }
  }

  /* Until the next attempt, say when it comes (or that the network is gone). */
  function countDown(due) {
    clearTimer("countdown");
    var tick = function () {
      if (navigator.onLine === false) { // the "online" event reconnects at once
        setStatus("offline", gettext("waiting for the network"));
        return;
      }
      var seconds = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      setStatus("offline", fill(gettext("reconnecting in %(seconds)s s"), {seconds: seconds}));
    };
    tick();
    timers.countdown = setInterval(tick, 1000);
  }

  function send(frame) {
    return socket.send(frame);
  }

  function subscribe(channel) {
    channel.subscribed = false;
    // Over the device's copy, the server's account from the start (see forgetSaved).
    send({type: "subscribe", channel: channel.name,
      after_seq: channel.fromDevice ? 0 : channel.lastSeq});
  }

  $(".channel-reconnect", statusNode).addEventListener("click", function () {
    socket.reconnectNow();
  });

  /* --- frames from the server --------------------------------------------------------- */

  function handle(frame) {
    switch (frame.type) {
    case "message":
      receive(frame);
      break;
    case "subscribed":
      subscribed(frame);
      break;
    case "sent":
      confirmSent(frame.client_id);
      break;
    case "acked":
      applyAck(frame.message_id, frame.user, frame.at);
      break;
    case "reminder":
      remind(frame.message);
      break;
    case "presence":
      renderPresence(frame.online || []);
      break;
    case "state":
      showState(frame.state);
      break;
    case "key_moment":
      applyKeyMoment(frame.message_id, frame.marked ? {note: frame.note || ""} : null);
      break;
    case "error":
      refused(frame);
      break;
    default:
      break; // pong, zone: nothing to show here
    }
    // The extension point for the rest of the page (e.g. static/zones/zone_map.js): every
    // frame, once handled here, as a "parley:frame" event on document (detail: the frame).
    document.dispatchEvent(new CustomEvent("parley:frame", {detail: frame}));
  }

  function subscribed(frame) {
    var channel = channels[frame.channel];
    if (!channel) {
      return;
    }
    forgetSaved(channel);
    var reconnected = channel.loaded;
    channel.subscribed = true;
    channel.resyncing = false;
    channel.loaded = true;
    flushOutbox();
    if (order.every(function (name) { return channels[name].subscribed; })) {
      socket.settled();
      setStatus("live");
    }
    if (reconnected) {
      refreshAcks(channel);
    }
  }

  function receive(frame) {
    var channel = channels[frame.channel];
    if (!channel || typeof frame.seq !== "number") {
      return;
    }
    forgetSaved(channel);
    if (frame.seq <= channel.lastSeq) {
      return; // already shown: never twice
    }
    if (frame.seq > channel.lastSeq + 1) {
      channel.held.set(frame.seq, frame);
      if (!channel.resyncing) { // a gap: ask for it again from the last seq shown
        channel.resyncing = true;
        subscribe(channel);
      }
      return;
    }
    show(channel, frame);
    while (channel.held.has(channel.lastSeq + 1)) {
      var next = channel.held.get(channel.lastSeq + 1);
      channel.held.delete(next.seq);
      show(channel, next);
    }
    channel.held.forEach(function (held, seq) {
      if (seq <= channel.lastSeq) {
        channel.held.delete(seq);
      }
    });
  }

  function awaitsMe(frame) {
    return (frame.awaiting || []).some(function (person) { return person.id === me.id; });
  }

  function show(channel, frame, fromDevice) {
    channel.lastSeq = frame.seq;
    var empty = $(".channel-empty", channel.list);
    if (empty) {
      empty.remove();
    }
    var follow = nearBottom(channel.list) || frame.sender.id === me.id;
    var node = el("li");
    node.id = "msg-" + frame.id;
    node.dataset.seq = frame.seq;
    node.dataset.id = frame.id;
    var item = {frame: frame, node: node, channel: channel.name, fromDevice: !!fromDevice};
    messages.set(frame.id, item);
    renderMessage(item);
    channel.list.appendChild(node);
    if (frame.sender.id === me.id && frame.client_id) {
      forget(frame.client_id); // it arrived: whatever the outbox still holds is done
    }
    if (ackedByMe(frame)) {
      settleAck(frame.id);
    }
    if (frame.sender.id !== me.id && channel.name !== active && channel.loaded) {
      channel.unread += 1;
      renderTab(channel);
    }
    if (follow) {
      channel.list.scrollTop = channel.list.scrollHeight;
    }
    // Alerts missed while away or arriving now; not those already there at page load
    // (the server's reminders take care of those).
    if (frame.kind === "alert" && channel.loaded && awaitsMe(frame)) {
      soundAlert();
      announce(fill(gettext("Alert from %(name)s: %(body)s"), {name: frame.sender.name, body: frame.body}));
      flash(node);
    }
    renderPending();
  }

  function ackedByMe(frame) {
    return (frame.acks || []).some(function (ack) { return ack.user.id === me.id; });
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  }

  function renderMessage(item) {
    var frame = item.frame;
    var node = item.node;
    node.className = "msg msg-" + frame.kind + (frame.sender.id === me.id ? " msg-mine" : "") +
      (frame.standard_instruction ? " msg-standard" : "") +
      (item.fromDevice ? " msg-saved" : "") +
      (node.classList.contains("msg-flash") ? " msg-flash" : "");
    node.textContent = "";
    remember(item); // the device keeps the message as now shown
    var head = el("p", "msg-head");
    head.appendChild(el("strong", "msg-sender", frame.sender.name));
    head.appendChild(el("span", "msg-role", roleLabel(frame.sender.role)));
    if (frame.kind !== "message") {
      head.appendChild(el("span", "msg-kind msg-kind-" + frame.kind,
        config.kinds[frame.kind] || frame.kind));
    }
    head.appendChild(timeNode(frame.sent_at));
    node.appendChild(head);
    node.appendChild(el("p", "msg-body", frame.body));
    if (frame.key_moment) {
      node.classList.add("msg-key");
      node.appendChild(el("p", "msg-key-moment", frame.key_moment.note
        ? fill(gettext("Key moment: %(note)s"), {note: frame.key_moment.note})
        : gettext("Key moment")));
    }
    if (frame.kind === "instruction" || frame.kind === "alert") {
      node.appendChild(renderAcks(frame));
      if (awaitsMe(frame)) {
        node.appendChild(ackButton(frame.id));
      }
    }
    if (config.can_mark_key_moments) {
      node.appendChild(keyMomentControls(item));
    }
  }

  /* --- key moments (city staff; messaging/key_moments.py) ------------------------------ */

  /* The mark is stored over HTTP; every page that shows the message hears it back as a
   * `key_moment` frame. Marks made while this page was offline show after a reload. */
  function keyMomentControls(item) {
    var box = el("div", "msg-key-controls");
    if (item.keyMomentError) {
      box.appendChild(el("p", "msg-key-error", item.keyMomentError));
    }
    if (item.frame.key_moment) {
      box.appendChild(actionButton(gettext("Unmark key moment"), function () {
        keyMomentRequest(item, "DELETE");
      }, "msg-key-toggle"));
      return box;
    }
    if (!item.noteOpen) {
      box.appendChild(actionButton(gettext("Mark as key moment"), function () {
        item.noteOpen = true;
        renderMessage(item);
        var input = item.node.querySelector(".msg-key-note");
        if (input) {
          input.focus();
        }
      }, "msg-key-toggle"));
      return box;
    }
    var label = el("label", "msg-key-note-label", gettext("Note (optional)"));
    var input = el("input", "msg-key-note");
    input.type = "text";
    input.maxLength = 300;
    input.value = item.noteDraft || "";
    input.id = "msg-key-note-" + item.frame.id;
    label.htmlFor = input.id;
    input.addEventListener("input", function () { item.noteDraft = input.value; });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        keyMomentRequest(item, "POST", input.value);
      }
    });
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(actionButton(pgettext("mark a key moment", "Mark"), function () {
      keyMomentRequest(item, "POST", input.value);
    }, "msg-key-save"));
    box.appendChild(actionButton(gettext("Cancel"), function () {
      item.noteOpen = false;
      item.noteDraft = "";
      renderMessage(item);
    }, "msg-key-cancel"));
    return box;
  }

  function keyMomentRequest(item, method, note) {
    var url = config.key_moment_url.replace("/0/", "/" + item.frame.id + "/");
    var init = {
      method: method,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": panel.dataset.csrf}
    };
    if (method === "POST") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify({note: note || ""});
    }
    fetch(url, init).then(function (response) {
      if (response.ok) {
        item.keyMomentError = "";
        item.noteOpen = false;
        item.noteDraft = "";
        applyKeyMoment(item.frame.id, method === "POST" ? {note: (note || "").trim()} : null);
        return;
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        item.keyMomentError = fill(gettext("The key moment could not be saved: %(detail)s"),
                                   {detail: data.detail || data.note || response.status});
        renderMessage(item);
      });
    }, function () {
      item.keyMomentError = fill(gettext("The key moment could not be saved: %(detail)s"),
                                 {detail: gettext("Offline")});
      renderMessage(item);
    });
  }

  function applyKeyMoment(id, keyMoment) {
    var item = messages.get(id);
    if (!item) {
      return;
    }
    var before = item.frame.key_moment;
    item.frame.key_moment = keyMoment ? Object.assign({}, before || {}, keyMoment) : null;
    renderMessage(item);
  }

  function renderAcks(frame) {
    var box = el("div", "msg-acks");
    var done = el("p", "msg-acked");
    done.appendChild(el("span", "msg-acks-label", gettext("Acknowledged by:") + " "));
    if (!frame.acks.length) {
      done.appendChild(el("span", "msg-acks-none", gettext("nobody yet")));
    }
    frame.acks.forEach(function (ack, index) {
      var who = el("span", "msg-ack", personText(ack.user));
      who.dataset.user = ack.user.id;
      who.title = roleLabel(ack.user.role) + ", " + formatFullTime(ack.at);
      if (index) {
        done.appendChild(document.createTextNode(", "));
      }
      done.appendChild(who);
      done.appendChild(el("span", "msg-ack-time", " " + formatTime(ack.at)));
    });
    box.appendChild(done);
    var waiting = el("p", "msg-awaiting");
    if (frame.awaiting.length) {
      waiting.appendChild(el("span", "msg-acks-label", gettext("Not yet:") + " "));
      frame.awaiting.forEach(function (person, index) {
        if (index) {
          waiting.appendChild(document.createTextNode(", "));
        }
        var who = el("span", "msg-waiting", personText(person));
        who.dataset.user = person.id;
        who.title = roleLabel(person.role);
        waiting.appendChild(who);
      });
    } else {
      waiting.textContent = gettext("Everyone has acknowledged.");
      waiting.classList.add("msg-all-acked");
    }
    box.appendChild(waiting);
    return box;
  }

  /* The Acknowledge button, or where the acknowledgement is when it is in the outbox. */
  function ackButton(id) {
    var pending = ackItem(id);
    var state = pending ? itemState(pending) : "none";
    if (state === "refused") {
      var refusedLine = el("p", "msg-status msg-ack-refused",
        fill(gettext("Acknowledgement refused: %(reason)s"), {reason: pending.refused}) + " ");
      refusedLine.dataset.state = state;
      refusedLine.setAttribute("role", "alert");
      refusedLine.appendChild(actionButton(gettext("Discard"), function () {
        removeItem(pending);
      }));
      return refusedLine;
    }
    var button = el("button", "msg-ack-button", {
      none: gettext("Acknowledge"),
      waiting: gettext("Acknowledged: waiting for network"),
      sending: gettext("Acknowledging…"),
      retrying: gettext("Acknowledging…"),
      sent: gettext("Acknowledging…")
    }[state]);
    button.type = "button";
    button.dataset.state = state;
    button.disabled = !!pending;
    button.addEventListener("click", function () {
      acknowledge(id);
    });
    return button;
  }

  function acknowledge(id) {
    var item = messages.get(id);
    if (!item || ackItem(id)) {
      return;
    }
    // Into the outbox with the messages, in the order given: sent once the channel is
    // subscribed (now, or after the next reconnect or reload).
    addToOutbox({channel: item.channel, kind: "ack", message_id: id});
    renderAckPlace(id);
  }

  /* Show again where an acknowledgement of `id` appears: its message, the list of those owed. */
  function renderAckPlace(id, later) {
    var item = messages.get(id);
    if (item) {
      renderMessage(item);
    }
    if (!later) {
      renderPending();
    }
  }

  function applyAck(id, user, at) {
    var item = messages.get(id);
    if (user.id === me.id) {
      settleAck(id);
    }
    if (!item) {
      return;
    }
    var frame = item.frame;
    if (!frame.acks.some(function (ack) { return ack.user.id === user.id; })) {
      frame.acks.push({user: user, at: at});
    }
    frame.awaiting = frame.awaiting.filter(function (person) { return person.id !== user.id; });
    renderMessage(item);
    renderPending();
  }

  /* Acknowledgements given while this page was away are not replayed with the messages:
   * read the messages still waiting for someone again over HTTP. */
  function refreshAcks(channel) {
    var waiting = [];
    messages.forEach(function (item) {
      if (item.channel === channel.name && item.frame.awaiting.length) {
        waiting.push(item.frame.seq);
      }
    });
    if (!waiting.length || !window.fetch) {
      return;
    }
    var from = Math.min.apply(null, waiting) - 1;
    var url = config.history_url + "?channel=" + encodeURIComponent(channel.name) +
      "&after_seq=" + from + "&limit=500";
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (frames) {
        frames.forEach(function (fresh) {
          var item = messages.get(fresh.id);
          if (!item) {
            return;
          }
          // Merge, never replace: an `acked` frame that arrived while this request was on
          // its way is newer than the answer.
          fresh.acks.forEach(function (ack) {
            var known = item.frame.acks.some(function (mine) {
              return mine.user.id === ack.user.id;
            });
            if (!known) {
              item.frame.acks.push(ack);
            }
            if (ack.user.id === me.id) {
              settleAck(fresh.id);
            }
          });
          item.frame.awaiting = fresh.awaiting.filter(function (person) {
            return !item.frame.acks.some(function (ack) { return ack.user.id === person.id; });
          });
          renderMessage(item);
        });
        renderPending();
      })
      .catch(function () { /* the next reconnect tries again */ });
  }

  function remind(frame) {
    var item = messages.get(frame.id);
    if (!item) {
      receive(frame);
      item = messages.get(frame.id);
    }
    if (!item) {
      return;
    }
    item.frame.acks = frame.acks;
    item.frame.awaiting = frame.awaiting;
    renderMessage(item);
    renderPending();
    if (ackedByMe(item.frame)) {
      settleAck(frame.id);
    }
    if (!awaitsMe(item.frame) || ackItem(frame.id)) {
      return;
    }
    flash(item.node);
    var entry = $('.channel-pending-list [data-id="' + frame.id + '"]');
    if (entry) {
      flash(entry);
    }
    soundAlert();
    announce(fill(gettext("Reminder, alert from %(name)s: %(body)s"),
                  {name: frame.sender.name, body: frame.body}));
  }

  function flash(node) {
    node.classList.remove("msg-flash");
    void node.offsetWidth; // restart the animation
    node.classList.add("msg-flash");
  }

  function announce(text) {
    var region = $("#channel-announce");
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function refused(frame) {
    var item = frame.client_id && findItem(frame.client_id);
    if (!item) {
      showError(frame.detail);
      return;
    }
    inFlight.delete(item.client_id);
    if (RETRY_AFTER_MS[frame.code]) {
      item.error = frame.detail; // the same again shortly, still before the ones after it
      item.retryAt = Date.now() + RETRY_AFTER_MS[frame.code];
    } else {
      // It will never be accepted as it is: kept, to be read, edited or discarded; the
      // ones after it go on.
      item.refused = frame.detail || gettext("Not allowed.");
      keep(item);
    }
    flushOutbox();
  }

  function showError(text) {
    var node = $("#channel-error");
    node.textContent = text || "";
    node.hidden = !text;
  }

  /* --- the outbox (kept on the device) ------------------------------------------------ */

  /* One item per message or acknowledgement not yet taken by the server. Kept on the device
   * (one record each, so tabs never overwrite each other), sent one at a time in the order
   * written, always with its own client_id: a retry, a reload or a second tab sending it
   * again is answered with the first result and stores nothing new. */

  var lastCreated = 0;
  var tabs = typeof window.BroadcastChannel === "function"
    ? new BroadcastChannel("parley.outbox") : null;

  function byCreated(a, b) {
    return a.created - b.created || (a.client_id < b.client_id ? -1 : 1);
  }

  function addToOutbox(fields) {
    lastCreated = Math.max(Date.now(), lastCreated + 1); // the order written, even in one ms
    var item = Object.assign({client_id: newClientId(), user: me.id, event: config.event,
      created: lastCreated, refused: null}, fields);
    outbox.push(item);
    keep(item);
    renderOutbox();
    flushOutbox();
    return item;
  }

  /* What is written to the device: the item without this page's passing state. */
  function record(item) {
    return {client_id: item.client_id, user: item.user, event: item.event,
      channel: item.channel, kind: item.kind, body: item.body || "",
      message_id: item.message_id || null,
      standard_instruction: item.standard_instruction || null,
      created: item.created, refused: item.refused || null};
  }

  function keep(item) {
    if (!device) {
      return; // kept as soon as the store is open (startDevice)
    }
    device.keepItem(record(item)).then(function (done) {
      item.kept = done && device.persistent;
      tellOtherTabs();
      renderOutbox();
    });
  }

  function removeItem(item, goneFromDevice) {
    var before = outbox.length;
    outbox = outbox.filter(function (entry) { return entry !== item; });
    inFlight.delete(item.client_id);
    if (device && before !== outbox.length && goneFromDevice !== true) {
      device.dropItem(item.client_id).then(tellOtherTabs);
    }
    renderOutbox();
    if (item.kind === "ack") {
      renderAckPlace(item.message_id);
    }
  }

  function tellOtherTabs() {
    if (tabs) {
      tabs.postMessage({user: me.id, event: config.event});
    }
  }

  if (tabs) {
    tabs.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.user === me.id && data.event === config.event) {
        reloadOutbox();
      }
    });
  }

  /* Read the outbox again from the device (at start, and when another tab changed it). */
  function reloadOutbox() {
    if (!device) {
      return Promise.resolve();
    }
    return device.outboxItems(me.id, config.event).then(function (items) {
      var found = new Map(items.map(function (entry) { return [entry.client_id, entry]; }));
      // Kept here earlier and gone from the device: another tab finished or discarded it.
      outbox.filter(function (item) {
        return item.kept && !item.sent && !found.has(item.client_id);
      }).forEach(function (item) { removeItem(item, true); });
      items.forEach(function (entry) {
        var mine = outbox.find(function (item) { return item.client_id === entry.client_id; });
        if (mine) {
          mine.refused = mine.refused || entry.refused;
          mine.kept = true;
        } else if (channels[entry.channel] && entry.user === me.id) {
          entry.kept = device.persistent;
          outbox.push(entry);
        }
        lastCreated = Math.max(lastCreated, entry.created || 0);
      });
      flushOutbox();
    });
  }

  function frameOf(item) {
    if (item.kind === "ack") {
      return {type: "ack", message_id: item.message_id, client_id: item.client_id};
    }
    var frame = {type: "send", channel: item.channel, kind: item.kind, client_id: item.client_id};
    if (item.standard_instruction) {
      frame.standard_instruction = item.standard_instruction; // the server adds the texts
    } else {
      frame.body = item.body;
    }
    return frame;
  }

  /* Send the first item still to go, once its channel is subscribed; the next one goes when
   * this one is answered (`sent`, `acked` or `error`), so they arrive in the order written. */
  function flushOutbox() {
    clearTimer("retry");
    outbox.sort(byCreated);
    var now = Date.now();
    for (var i = 0; i < outbox.length; i += 1) {
      var item = outbox[i];
      if (item.refused || item.sent || !channels[item.channel]) {
        continue;
      }
      if (inFlight.has(item.client_id) || !channels[item.channel].subscribed) {
        break;
      }
      if (item.retryAt && item.retryAt > now) {
        timers.retry = setTimeout(flushOutbox, Math.max(200, item.retryAt - now));
        break;
      }
      if (send(frameOf(item))) {
        inFlight.add(item.client_id);
        item.retryAt = 0;
      }
      break;
    }
    renderOutbox();
    // Only what changed is drawn again: a button redrawn between the press and the release
    // of a tap loses the tap (and a phone offline tries to reconnect every few seconds).
    var changed = false;
    outbox.forEach(function (item) {
      var state = item.kind === "ack" ? itemState(item) : null;
      if (state && state !== item.shownState) {
        item.shownState = state;
        renderAckPlace(item.message_id, true);
        changed = true;
      }
    });
    if (changed) {
      renderPending();
    }
  }

  function findItem(clientId) {
    return outbox.find(function (entry) { return entry.client_id === clientId; });
  }

  function ackItem(messageId) {
    return outbox.find(function (entry) {
      return entry.kind === "ack" && entry.message_id === messageId;
    });
  }

  function confirmSent(clientId) {
    var item = findItem(clientId);
    if (item) {
      item.sent = true; // stored; shown in the list as soon as its message frame arrives
      item.error = null;
      inFlight.delete(clientId);
      if (device) {
        device.dropItem(clientId).then(tellOtherTabs);
      }
    }
    flushOutbox();
  }

  /* The person's acknowledgement of `messageId` is stored: the outbox lets go of it. */
  function settleAck(messageId) {
    var item = ackItem(messageId);
    if (item) {
      removeItem(item);
      flushOutbox();
    }
  }

  function forget(clientId) {
    var item = findItem(clientId);
    if (item) {
      removeItem(item);
    }
  }

  /* Where an item is: "waiting" (for the network), "sending", "retrying", "sent", "refused". */
  function itemState(item) {
    if (item.refused) {
      return "refused";
    }
    if (item.sent) {
      return "sent";
    }
    if (item.error && item.retryAt) {
      return "retrying";
    }
    var channel = channels[item.channel];
    return channel && channel.subscribed ? "sending" : "waiting";
  }

  function renderOutbox() {
    var kept = 0;
    var waiting = 0;
    order.forEach(function (name) {
      var list = channels[name].outboxList;
      var shown = outbox.filter(function (item) {
        // An acknowledgement shows on its message; here only if the message is not shown.
        return item.channel === name && (item.kind !== "ack" || !messages.has(item.message_id));
      });
      var drawn = JSON.stringify(shown.map(function (item) {
        return [item.client_id, itemState(item), !!item.kept, item.error || ""];
      }));
      if (list.dataset.drawn === drawn) {
        return; // as it is on screen (see flushOutbox)
      }
      list.dataset.drawn = drawn;
      list.textContent = "";
      shown.forEach(function (item) {
        list.appendChild(outboxNode(item));
      });
    });
    outbox.forEach(function (item) {
      kept += item.kept ? 1 : 0;
      waiting += item.sent || item.refused ? 0 : 1;
    });
    panel.dataset.outbox = waiting;
    panel.dataset.outboxKept = kept;
  }

  function outboxNode(item) {
    var state = itemState(item);
    var node = el("li", "msg msg-" + item.kind + " msg-mine msg-pending msg-" + state);
    node.dataset.clientId = item.client_id;
    node.dataset.state = state;
    node.dataset.kept = item.kept ? "true" : "false";
    var head = el("p", "msg-head");
    head.appendChild(el("strong", "msg-sender", me.name));
    head.appendChild(el("span", "msg-role", roleLabel(me.role)));
    if (item.kind !== "message" && item.kind !== "ack") {
      head.appendChild(el("span", "msg-kind msg-kind-" + item.kind,
        config.kinds[item.kind] || item.kind));
    }
    node.appendChild(head);
    node.appendChild(el("p", "msg-body", item.kind === "ack"
      ? gettext("Your acknowledgement of a message not shown on this page.") : item.body));
    var line = el("p", "msg-status", {
      waiting: gettext("Waiting for network: it will be sent when the connection is back."),
      sending: gettext("Sending…"),
      sent: gettext("Sent"),
      retrying: fill(gettext("Not sent yet: %(detail)s Trying again shortly."), {detail: item.error}),
      refused: fill(gettext("Refused: %(reason)s"), {reason: item.refused})
    }[state]);
    if (state === "refused") {
      node.classList.add("msg-failed");
      line.setAttribute("role", "alert");
      line.appendChild(document.createTextNode(" "));
      if (item.kind !== "ack" && !item.standard_instruction) {
        line.appendChild(actionButton(gettext("Edit"), function () {
          removeItem(item);
          body.value = item.body;
          kind.value = item.kind;
          body.focus();
        }));
      }
      line.appendChild(actionButton(gettext("Discard"), function () {
        removeItem(item);
      }));
    }
    node.appendChild(line);
    return node;
  }

  function actionButton(label, onClick, className) {
    var button = el("button", "link-button" + (className ? " " + className : ""), label);
    button.type = "button";
    button.addEventListener("click", onClick);
    return button;
  }

  /* --- on the device: the outbox, and the messages shown --------------------------------- */

  var deviceNote = null;

  function sayOnce(text) {
    if (deviceNote) {
      return;
    }
    deviceNote = el("p", "channel-note channel-device-note", text);
    deviceNote.setAttribute("role", "status");
    $("#channel-error").insertAdjacentElement("afterend", deviceNote);
  }

  function startDevice() {
    openDeviceStore().then(function (store) {
      device = store;
      if (forgotten) {
        return device.forgetEvent(me.id, config.event); // closed before the store opened
      }
      panel.dataset.device = store.persistent ? "kept" : "memory";
      if (!store.persistent) {
        sayOnce(gettext("This browser does not let the page keep anything on this device: what you write while offline is lost if the page is closed."));
      }
      outbox.filter(function (item) { return !item.sent; }).forEach(keep); // written before it opened
      return moveOldOutbox();
    }).then(reloadOutbox).then(function () {
      return Promise.all(order.map(function (name) {
        return device.history(me.id, config.event, name, HISTORY_KEEP).then(function (frames) {
          saved[name] = frames;
        });
      }));
    }).then(function () {
      if (navigator.onLine === false || lostConnection) {
        showSaved();
      }
    });
  }

  /* The page kept its outbox in sessionStorage before: move what is there, once. */
  function moveOldOutbox() {
    var session = storage("sessionStorage");
    var old = null;
    try {
      old = session && JSON.parse(session.getItem(OLD_OUTBOX_KEY) || "null");
    } catch (e) {
      old = null;
    }
    if (!Array.isArray(old)) {
      return Promise.resolve();
    }
    return Promise.all(old.filter(function (entry) {
      return entry && typeof entry.client_id === "string" && typeof entry.body === "string" &&
        channels[entry.channel];
    }).map(function (entry) {
      return device.keepItem(record(Object.assign({}, entry, {
        user: me.id, event: config.event, created: entry.created || Date.now()})));
    })).then(function () {
      if (device.persistent) { // in memory only, the old copy is still the safer one
        session.removeItem(OLD_OUTBOX_KEY);
      }
    });
  }

  /* Write the messages shown (or changed) in the last moment, together. */
  function remember(item) {
    if (!device || item.fromDevice) {
      return;
    }
    toRemember.set(item.frame.id, item);
    if (!timers.remember) {
      timers.remember = setTimeout(function () {
        timers.remember = null;
        var records = Array.from(toRemember.values()).map(function (entry) {
          return {user: me.id, event: config.event, channel: entry.channel,
            seq: entry.frame.seq, frame: entry.frame};
        });
        toRemember.clear();
        device.remember(records, HISTORY_KEEP).then(function () {
          records.forEach(function (entry) { // what the device holds, for tests and curious eyes
            var log = channels[entry.channel].log;
            log.dataset.keptSeq = Math.max(Number(log.dataset.keptSeq || 0), entry.seq);
          });
        });
      }, REMEMBER_AFTER_MS);
    }
  }

  /* No connection: show what this device kept of each channel, marked as such. */
  function showSaved() {
    order.forEach(function (name) {
      var channel = channels[name];
      var frames = saved[name] || [];
      if (channel.loaded || channel.fromDevice || channel.lastSeq || !frames.length) {
        return;
      }
      channel.fromDevice = true;
      frames.forEach(function (frame) {
        show(channel, frame, true);
      });
      var savedNote = el("p", "channel-note channel-saved-note",
        gettext("No connection: these are the messages kept on this device. Newer ones come when the connection is back."));
      channel.list.parentNode.insertAdjacentElement("beforebegin", savedNote);
      channel.list.scrollTop = channel.list.scrollHeight;
    });
    renderOutbox();
  }

  /* Connected again: what the server says replaces the device's copy (it may be out of date:
   * acknowledgements, key moments), read from the start as on any page load; the copy stays
   * on screen until the first of it arrives. */
  function forgetSaved(channel) {
    if (!channel.fromDevice) {
      return;
    }
    channel.fromDevice = false;
    messages.forEach(function (item, id) {
      if (item.channel === channel.name) {
        item.node.remove();
        messages.delete(id);
      }
    });
    channel.lastSeq = 0;
    channel.held.clear();
    var savedNote = $(".channel-saved-note", channel.log);
    if (savedNote) {
      savedNote.remove();
    }
    channel.list.appendChild(el("li", "channel-empty", gettext("No messages yet.")));
  }


  /* --- the composer ------------------------------------------------------------------- */

  var form = $("#channel-composer");
  var body = $("#channel-body");
  var kind = $("#channel-kind");
  var note = $("#channel-composer-note");

  function setComposerEnabled() {
    var channel = channels[active];
    var canPost = !stopped && channel && channel.canPost;
    body.disabled = kind.disabled = $(".channel-send", form).disabled = !canPost;
    if (standardToggle) {
      standardToggle.disabled = !canPost;
      if (!canPost) {
        showStandardList(false);
      }
    }
    var why = "";
    if (!stopped && channel && !channel.canPost) {
      why = config.closed ? gettext("This demonstration is over: its channel is read-only.")
        : gettext("You cannot write in this channel.");
    }
    note.textContent = why;
    note.hidden = !why;
    $(".channel-composer-label", form).textContent = fill(gettext("Message to: %(channel)s"), {channel: channel.label});
  }

  function submit() {
    var channel = channels[active];
    var text = body.value;
    if (!channel || !channel.canPost || !text.trim()) {
      return;
    }
    if (text.length > config.max_chars) {
      note.textContent = fill(gettext("A message may have at most %(max)s characters."),
                              {max: config.max_chars});
      note.hidden = false;
      return;
    }
    addToOutbox({channel: channel.name, kind: kind.value, body: text});
    body.value = "";
    kind.value = "message"; // an alert is a deliberate choice every time
    channel.list.scrollTop = channel.list.scrollHeight;
    channel.list.scrollTop = channel.list.scrollHeight;
  }

  /* Standard instructions: one click opens the list, a click on one sends it. */
  var standardToggle = $(".channel-standard-toggle", form);
  var standardList = $("#channel-standard-list");

  function showStandardList(open) {
    standardList.hidden = !open;
    standardToggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  if (standardToggle && standardList) {
    standardToggle.addEventListener("click", function () {
      showStandardList(standardList.hidden);
    });
    standardList.addEventListener("click", function (event) {
      var button = event.target.closest(".channel-standard");
      var channel = channels[active];
      if (!button || !channel || !channel.canPost) {
        return;
      }
      addToOutbox({channel: channel.name, kind: "instruction", body: button.dataset.text,
        standard_instruction: Number(button.dataset.id)});
      showStandardList(false);
      channel.list.scrollTop = channel.list.scrollHeight;
      channel.list.scrollTop = channel.list.scrollHeight;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  body.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing &&
        event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  body.addEventListener("input", function () {
    if (body.value.length <= config.max_chars) {
      setComposerEnabled(); // clears a "too long" note
    }
  });

  /* --- channels as tabs --------------------------------------------------------------- */

  function activate(name, focus) {
    active = name;
    order.forEach(function (other) {
      var channel = channels[other];
      var selected = other === name;
      channel.log.hidden = !selected;
      if (selected) {
        channel.unread = 0;
      }
      if (channel.tab) {
        channel.tab.setAttribute("aria-selected", selected ? "true" : "false");
        channel.tab.tabIndex = selected ? 0 : -1;
        if (selected && focus) {
          channel.tab.focus();
        }
      }
      renderTab(channel);
    });
    panel.dataset.channel = name;
    setComposerEnabled();
    var list = channels[name].list;
    list.scrollTop = list.scrollHeight;
  }

  function renderTab(channel) {
    if (!channel.tab) {
      return;
    }
    var badge = $(".channel-unread", channel.tab);
    badge.textContent = channel.unread
      ? fill(ngettext("%(count)s new", "%(count)s new", channel.unread), {count: channel.unread}) : "";
    badge.hidden = !channel.unread;
  }

  order.forEach(function (name, index) {
    var tab = channels[name].tab;
    if (!tab) {
      return;
    }
    tab.addEventListener("click", function () { activate(name); });
    tab.addEventListener("keydown", function (event) {
      var step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
      if (step) {
        event.preventDefault();
        activate(order[(index + step + order.length) % order.length], true);
      }
    });
  });

  /* --- acknowledgements still owed ---------------------------------------------------- */

  function renderPending() {
    var box = $("#channel-pending");
    var list = $(".channel-pending-list", box);
    list.textContent = "";
    var owed = [];
    messages.forEach(function (item) {
      if (awaitsMe(item.frame)) {
        owed.push(item);
      }
    });
    owed.sort(function (a, b) { return a.frame.sent_at < b.frame.sent_at ? -1 : 1; });
    owed.forEach(function (item) {
      var frame = item.frame;
      var entry = el("li", "pending-item pending-" + frame.kind);
      entry.dataset.id = frame.id;
      var text = el("p", "pending-text");
      text.appendChild(el("span", "msg-kind msg-kind-" + frame.kind, config.kinds[frame.kind]));
      text.appendChild(document.createTextNode(" "));
      text.appendChild(el("strong", null, frame.sender.name));
      if (order.length > 1) {
        text.appendChild(el("span", "muted",
          " " + fill(gettext("in “%(channel)s”"), {channel: channels[item.channel].label})));
      }
      text.appendChild(document.createTextNode(": "));
      text.appendChild(el("span", "pending-body",
        frame.body.length > 140 ? frame.body.slice(0, 140) + "…" : frame.body));
      entry.appendChild(text);
      var actions = el("p", "pending-actions");
      actions.appendChild(ackButton(frame.id));
      actions.appendChild(actionButton(gettext("Show"), function () {
        activate(item.channel);
        item.node.scrollIntoView({block: "center", behavior: "smooth"});
        flash(item.node);
      }));
      entry.appendChild(actions);
      list.appendChild(entry);
    });
    box.hidden = !owed.length;
  }

  /* --- presence, state, sound --------------------------------------------------------- */

  function renderPresence(online) {
    var list = $(".channel-presence-list");
    list.textContent = "";
    var seen = new Set();
    online.forEach(function (person) {
      if (seen.has(person.id)) {
        return;
      }
      seen.add(person.id);
      var entry = el("li", "presence-person presence-" + person.role);
      entry.dataset.user = person.id;
      entry.appendChild(el("span", "presence-dot"));
      entry.appendChild(el("span", "presence-name", personText(person)));
      entry.appendChild(el("span", "msg-role", roleLabel(person.role)));
      list.appendChild(entry);
    });
  }

  function showState(state) {
    var label = config.states[state] || state;
    var badge = document.getElementById("event-state");
    if (badge) {
      badge.textContent = label;
      badge.className = "state state-" + state;
    }
    var notice = $("#channel-state-notice");
    $(".channel-state-text", notice).textContent = fill(gettext("The demonstration is now “%(state)s”."), {state: label});
    notice.hidden = false;
    if (config.closed_states.indexOf(state) !== -1) {
      config.closed = true;
      order.forEach(function (name) { channels[name].canPost = false; });
      setComposerEnabled();
    }
  }

  var mute = $("#channel-mute");
  mute.checked = !!(local && local.getItem(MUTE_KEY) === "1");
  mute.addEventListener("change", function () {
    if (local) {
      if (mute.checked) {
        local.setItem(MUTE_KEY, "1");
      } else {
        local.removeItem(MUTE_KEY);
      }
    }
  });

  var audio = null;

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      try {
        audio = new Context();
      } catch (e) {
        audio = null;
      }
    }
    return audio;
  }

  // Browsers only let a page make sound after the person has touched it once.
  function unlockAudio() {
    var context = audioContext();
    if (context && context.state === "suspended") {
      context.resume().catch(function () {});
    }
  }
  document.addEventListener("pointerdown", unlockAudio, {passive: true});
  document.addEventListener("keydown", unlockAudio);

  function soundAlert() {
    if (mute.checked) {
      return;
    }
    alertsSounded += 1;
    panel.dataset.alertsSounded = alertsSounded;
    var context = audioContext();
    if (!context) {
      return;
    }
    if (context.state === "suspended") {
      context.resume().catch(function () {});
    }
    var start = context.currentTime + 0.02;
    [0, 0.22, 0.44].forEach(function (offset, index) {
      var tone = context.createOscillator();
      var gain = context.createGain();
      tone.type = "square";
      tone.frequency.value = index === 1 ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      tone.connect(gain);
      gain.connect(context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.2);
    });
  }

  /* --- start -------------------------------------------------------------------------- */

  config.closed = config.closed_states.indexOf(config.state) !== -1;
  activate(order[0]);
  renderOutbox();
  socket.start();
  startDevice();
}

startChannel();
