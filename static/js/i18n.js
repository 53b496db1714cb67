/* Parley: the page scripts' words, from Django's JavaScript catalog.
 *
 * Every page loads its language's catalog (config/views.py javascript_catalog, at
 * /i18n/catalog/<language>.js) as a classic script before its modules: it defines window.django
 * with gettext, ngettext, pgettext and interpolate. The modules take them from here:
 *
 *     import {fill, gettext} from "../js/i18n.js";
 *     fill(gettext("Happened: %(time)s"), {time: formatTime(at)});
 *
 * Write whole sentences with named placeholders (%(name)s), never glued fragments: the
 * translator sees the whole sentence and may move the placeholders. `make messages` collects
 * every gettext() call of static/ into locale/<language>/LC_MESSAGES/djangojs.po.
 */

/* The catalog's functions, looked up when called: the catalog is a classic script that runs
 * before the modules, but a module should not break if it failed to load (English then). */
function catalog() {
  return window.django || null;
}

/** The translation of `msgid` (itself when there is none). */
export function gettext(msgid) {
  const django = catalog();
  return django ? django.gettext(msgid) : msgid;
}

/** The translation of `singular`/`plural` for `count` things. */
export function ngettext(singular, plural, count) {
  const django = catalog();
  if (django) {
    return django.ngettext(singular, plural, count);
  }
  return count === 1 ? singular : plural;
}

/** The translation of `msgid` in `context` (when the same words mean two things). */
export function pgettext(context, msgid) {
  const django = catalog();
  return django ? django.pgettext(context, msgid) : msgid;
}

/** `text` with each %(name)s replaced by values[name] (as text). The one place that fills
 * a translated sentence's placeholders. */
export function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, function (all, name) {
    return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
  });
}
