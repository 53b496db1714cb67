/* Parley: how the page scripts show a moment — the one place to change it (e.g. to show
 * times in the event's time zone rather than the reader's). Every script's times come
 * from here, written the way the page's language writes them (<html lang>).
 */

function locale() {
  return document.documentElement.lang || undefined;
}

function asDate(value) {
  if (value === null || value === undefined || value === "") {
    return null;
  }
  const date = new Date(value);
  return isNaN(date.getTime()) ? null : date;
}

/** A moment (ISO 8601 text, Date or milliseconds) as date and time, "" when there is none.
 *
 * options.seconds: with the seconds (a replay, where they matter);
 * options.compact: the time alone when it is today, else a short date and time (a message).
 */
export function formatTime(value, options) {
  const date = asDate(value);
  if (!date) {
    return "";
  }
  const opts = options || {};
  try {
    if (opts.compact) {
      return date.toDateString() === new Date().toDateString()
        ? date.toLocaleTimeString(locale(), {hour: "2-digit", minute: "2-digit"})
        : date.toLocaleString(locale(), {dateStyle: "short", timeStyle: "short"});
    }
    return date.toLocaleString(locale(), {dateStyle: "medium",
                                          timeStyle: opts.seconds ? "medium" : "short"});
  } catch (e) {
    return date.toLocaleString();
  }
}

/** A moment in full, for a tooltip (title=""). */
export function formatFullTime(value) {
  const date = asDate(value);
  return date ? date.toLocaleString(locale()) : "";
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

/** A moment as an <input type="datetime-local"> holds it (local time, to the minute, no
 * offset), "" when there is none. */
export function toLocalInput(value) {
  const date = asDate(value);
  if (!date) {
    return "";
  }
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
    "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
}

/** What an <input type="datetime-local"> holds, as ISO 8601 (UTC); null when empty, the
 * text itself when it is no moment (the server then says what is wrong). */
export function fromLocalInput(value) {
  if (!value) {
    return null;
  }
  const date = new Date(value);
  return isNaN(date.getTime()) ? value : date.toISOString();
}
