/* Parley: how the page scripts show and read a moment — the one place that does it.
 *
 * Moments are shown in the city's time zone (<html data-time-zone>, PARLEY_TIME_ZONE), not
 * the reader's, with the zone's abbreviation, in the same format as the server's
 * coordination/moments.py: the same translations (context "moment") of the same patterns,
 * e.g. "Sat 12 Dec 2026, 14:00 EST"; the time alone ("14:00 EST") when it is today in the
 * city. A datetime-local input holds the city's wall-clock time too.
 */

import {fill, pgettext} from "./i18n.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function timeZone() {
  return document.documentElement.dataset.timeZone || undefined;
}

function asDate(value) {
  if (value === null || value === undefined || value === "") {
    return null;
  }
  const date = new Date(value);
  return isNaN(date.getTime()) ? null : date;
}

let partsFormat = null;

/* The numbers of a moment in the city's zone. en-US only for the numbers and the zone's
 * abbreviation ("EST"; other locales write "UTC−5"); the words come from the catalog. */
function partsOf(date) {
  if (!partsFormat) {
    const options = {year: "numeric", month: "numeric", day: "numeric", weekday: "short",
                     hour: "2-digit", minute: "2-digit", second: "2-digit",
                     hourCycle: "h23", timeZoneName: "short"};
    try {
      partsFormat = new Intl.DateTimeFormat("en-US", Object.assign({timeZone: timeZone()}, options));
    } catch (e) {
      partsFormat = new Intl.DateTimeFormat("en-US", options);  // a zone this browser lacks
    }
  }
  const parts = {};
  partsFormat.formatToParts(date).forEach(function (part) {
    parts[part.type] = part.value;
  });
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    weekday: WEEKDAYS.indexOf(parts.weekday), hour: Number(parts.hour) % 24,
    minute: Number(parts.minute), second: Number(parts.second), zone: parts.timeZoneName || "",
  };
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

function weekdayName(index) {
  return [pgettext("moment", "Mon"), pgettext("moment", "Tue"), pgettext("moment", "Wed"),
          pgettext("moment", "Thu"), pgettext("moment", "Fri"), pgettext("moment", "Sat"),
          pgettext("moment", "Sun")][index] || "";
}

function monthName(month) {
  return [pgettext("moment", "Jan"), pgettext("moment", "Feb"), pgettext("moment", "Mar"),
          pgettext("moment", "Apr"), pgettext("moment", "May"), pgettext("moment", "Jun"),
          pgettext("moment", "Jul"), pgettext("moment", "Aug"), pgettext("moment", "Sep"),
          pgettext("moment", "Oct"), pgettext("moment", "Nov"), pgettext("moment", "Dec")][month - 1];
}

function dayKey(p) {
  return p.year + "-" + p.month + "-" + p.day;
}

function dateText(p) {
  return fill(pgettext("moment", "%(weekday)s %(day)s %(month)s %(year)s"),
              {weekday: weekdayName(p.weekday), day: p.day, month: monthName(p.month), year: p.year});
}

function clock(p, seconds) {
  return pad(p.hour) + ":" + pad(p.minute) + (seconds ? ":" + pad(p.second) : "");
}

function momentText(p, opts) {
  const time = clock(p, opts.seconds);
  if (!opts.withDate && dayKey(p) === dayKey(partsOf(new Date()))) {
    return fill(pgettext("moment", "%(time)s %(zone)s"), {time: time, zone: p.zone});
  }
  return fill(pgettext("moment", "%(date)s, %(time)s %(zone)s"),
              {date: dateText(p), time: time, zone: p.zone});
}

/** A moment (ISO 8601 text, Date or milliseconds) in the city's time, "" when there is none:
 * "14:00 EST" today, "Sat 12 Dec 2026, 14:00 EST" any other day.
 *
 * options.seconds: with the seconds (a replay, where they matter);
 * options.withDate: with the date even today.
 */
export function formatTime(value, options) {
  const date = asDate(value);
  return date ? momentText(partsOf(date), options || {}) : "";
}

/** A moment in full, for a tooltip (title=""): always with its date, and the seconds. */
export function formatFullTime(value) {
  return formatTime(value, {withDate: true, seconds: true});
}

/** From `start` to `end`, as the server's format_span: "14:00 – 17:00 EST" today, the date
 * once when both ends are on one day, both dates when they are not. */
export function formatSpan(start, end) {
  const a = asDate(start);
  const b = asDate(end);
  if (!a || !b) {
    return fill(pgettext("moment", "%(start)s – %(end)s"),
                {start: formatTime(a) || "…", end: formatTime(b) || "…"});
  }
  const first = partsOf(a);
  const last = partsOf(b);
  if (dayKey(first) !== dayKey(last)) {
    return fill(pgettext("moment", "%(start)s – %(end)s"),
                {start: momentText(first, {}), end: momentText(last, {})});
  }
  const times = first.zone !== last.zone
    ? fill(pgettext("moment", "%(start)s %(start_zone)s – %(end)s %(end_zone)s"),
           {start: clock(first), start_zone: first.zone, end: clock(last), end_zone: last.zone})
    : fill(pgettext("moment", "%(start)s – %(end)s %(zone)s"),
           {start: clock(first), end: clock(last), zone: last.zone});
  if (dayKey(first) === dayKey(partsOf(new Date()))) {
    return times;
  }
  return fill(pgettext("moment", "%(date)s, %(times)s"), {date: dateText(first), times: times});
}

/** A moment as an <input type="datetime-local"> holds it: the city's wall-clock time, to
 * the minute, no offset; "" when there is none. */
export function toLocalInput(value) {
  const date = asDate(value);
  if (!date) {
    return "";
  }
  const p = partsOf(date);
  return p.year + "-" + pad(p.month) + "-" + pad(p.day) + "T" + pad(p.hour) + ":" + pad(p.minute);
}

/* How far the city's clock is ahead of UTC at `ms` (milliseconds). */
function offsetAt(ms) {
  const p = partsOf(new Date(ms));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) -
    Math.floor(ms / 1000) * 1000;
}

/** What an <input type="datetime-local"> holds (the city's wall-clock time), as ISO 8601
 * (UTC); null when empty, the text itself when it is no moment (the server then says what
 * is wrong). */
export function fromLocalInput(value) {
  if (!value) {
    return null;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) {
    return value;
  }
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]),
                        Number(m[5]), Number(m[6] || 0));
  // The offset at the wall time read as UTC is right but for the hours around a change of
  // the clocks; asking again at the first answer settles it.
  let moment = wall - offsetAt(wall);
  moment = wall - offsetAt(moment);
  return new Date(moment).toISOString();
}
