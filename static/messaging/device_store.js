/* Parley: what the live channel keeps on this device, in IndexedDB (database "parley").
 *
 * - `outbox`: what the person wrote or acknowledged that the server has not taken yet, one
 *   record per item (keyPath client_id): tabs add and remove their own records in
 *   transactions and never overwrite a whole list, so two tabs cannot lose each other's.
 * - `history`: the last messages shown, per (user, demonstration, channel), to read offline.
 *
 * Every record carries the user's id and is only read back for that user: another person
 * logging in on the same browser never sees nor sends it. Where IndexedDB cannot be used
 * (private modes of some browsers) the same calls work from memory, and `persistent` is false.
 * Every call resolves (to an empty answer when the database is gone, e.g. after logging out).
 */

const DATABASE = "parley";
const VERSION = 1;
const TOP_SEQ = Number.MAX_SAFE_INTEGER;
const OPEN_WITHIN_MS = 5000;

function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = window.indexedDB.open(DATABASE, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("outbox")) {
        db.createObjectStore("outbox", {keyPath: "client_id"})
          .createIndex("owner", ["user", "event"]);
      }
      if (!db.objectStoreNames.contains("history")) {
        db.createObjectStore("history", {keyPath: ["user", "event", "channel", "seq"]});
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // deleted (logging out) or upgraded elsewhere
      resolve(db);
    };
    request.onerror = () => reject(request.error);
  });
}

function channelRange(user, event, channel) {
  return IDBKeyRange.bound([user, event, channel, 0], [user, event, channel, TOP_SEQ]);
}

class IndexedStore {
  constructor(db) {
    this.db = db;
    this.persistent = true;
  }

  /* Run `work(tx)` in one transaction; its result once committed, `fallback` on failure. */
  async run(names, mode, work, fallback) {
    try {
      const tx = this.db.transaction(names, mode);
      const box = {};
      work(tx, box);
      await finished(tx);
      return box.result === undefined ? fallback : box.result;
    } catch (e) {
      return fallback;
    }
  }

  /** The user's outbox items for one demonstration, in no particular order. */
  outboxItems(user, event) {
    return this.run("outbox", "readonly", (tx, box) => {
      const request = tx.objectStore("outbox").index("owner").getAll([user, event]);
      request.onsuccess = () => { box.result = request.result; };
    }, []);
  }

  /** Store (or update) one item; true once it is written. */
  keepItem(item) {
    return this.run("outbox", "readwrite", (tx, box) => {
      tx.objectStore("outbox").put(item);
      box.result = true;
    }, false);
  }

  /** Remove one item (whoever's tab finished it). */
  dropItem(clientId) {
    return this.run("outbox", "readwrite", (tx) => {
      tx.objectStore("outbox").delete(clientId);
    }, undefined);
  }

  /** Drop everything the user's live channel kept for one demonstration: its outbox and
   * its history (they were removed from it; what they wrote must never go later). */
  forgetEvent(user, event) {
    return this.run(["outbox", "history"], "readwrite", (tx) => {
      tx.objectStore("outbox").index("owner").openCursor([user, event]).onsuccess = (e) => {
        const cursor = e.target.result;
        if (cursor) {
          cursor.delete();
          cursor.continue();
        }
      };
      tx.objectStore("history").delete(
        IDBKeyRange.bound([user, event], [user, event, []]));
    }, undefined);
  }

  /** The last `limit` message frames kept for a channel, in seq order. */
  history(user, event, channel, limit) {
    return this.run("history", "readonly", (tx, box) => {
      const frames = [];
      const request = tx.objectStore("history").openCursor(channelRange(user, event, channel), "prev");
      request.onsuccess = () => {
        const cursor = request.result;
        if (cursor && frames.length < limit) {
          frames.push(cursor.value.frame);
          cursor.continue();
        } else {
          box.result = frames.reverse();
        }
      };
    }, []);
  }

  /** Keep message frames ({user, event, channel, seq, frame}), then only the last `keep`
   * of each channel touched. */
  remember(records, keep) {
    return this.run("history", "readwrite", (tx) => {
      const store = tx.objectStore("history");
      const touched = new Map();
      records.forEach((record) => {
        store.put(record);
        touched.set(record.channel, record);
      });
      touched.forEach((record) => {
        const range = channelRange(record.user, record.event, record.channel);
        const counting = store.count(range);
        counting.onsuccess = () => {
          let extra = counting.result - keep;
          if (extra <= 0) {
            return;
          }
          const oldest = store.openCursor(range);
          oldest.onsuccess = () => {
            const cursor = oldest.result;
            if (cursor && extra > 0) {
              extra -= 1;
              cursor.delete();
              cursor.continue();
            }
          };
        };
      });
    }, undefined);
  }
}

/* The same calls, for this page only. */
class MemoryStore {
  constructor() {
    this.persistent = false;
    this.items = new Map();
    this.frames = new Map(); // "user/event/channel" -> Map(seq -> frame)
  }

  async outboxItems(user, event) {
    return Array.from(this.items.values())
      .filter((item) => item.user === user && item.event === event)
      .map((item) => Object.assign({}, item));
  }

  async keepItem(item) {
    this.items.set(item.client_id, Object.assign({}, item));
    return true;
  }

  async dropItem(clientId) {
    this.items.delete(clientId);
  }

  async forgetEvent(user, event) {
    this.items.forEach((item, clientId) => {
      if (item.user === user && item.event === event) {
        this.items.delete(clientId);
      }
    });
    const prefix = [user, event].join("/") + "/";
    Array.from(this.frames.keys()).filter((key) => key.startsWith(prefix))
      .forEach((key) => this.frames.delete(key));
  }

  async history(user, event, channel, limit) {
    const kept = this.frames.get([user, event, channel].join("/")) || new Map();
    return Array.from(kept.keys()).sort((a, b) => a - b).slice(-limit).map((seq) => kept.get(seq));
  }

  async remember(records, keep) {
    records.forEach((record) => {
      const key = [record.user, record.event, record.channel].join("/");
      const kept = this.frames.get(key) || new Map();
      kept.set(record.seq, record.frame);
      Array.from(kept.keys()).sort((a, b) => a - b).slice(0, Math.max(0, kept.size - keep))
        .forEach((seq) => kept.delete(seq));
      this.frames.set(key, kept);
    });
  }
}

/** The device's store: IndexedDB, or memory where the browser does not allow it. */
export async function openDeviceStore() {
  try {
    if (!window.indexedDB) {
      throw new Error("no IndexedDB");
    }
    // A database held back by another tab (an old version still open) must not hold the
    // page back: after a few seconds, work from memory.
    const waited = new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error("IndexedDB did not open")), OPEN_WITHIN_MS);
    });
    return new IndexedStore(await Promise.race([openDatabase(), waited]));
  } catch (e) {
    return new MemoryStore();
  }
}
