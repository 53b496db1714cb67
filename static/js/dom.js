/* Parley: the DOM helpers the page scripts share (an ES module).
 *
 * Text always goes in as textContent, never as markup: whatever people typed is shown as
 * text on every page. Never hand Leaflet's bindPopup, bindTooltip or setContent a string built
 * from data (it becomes innerHTML): hand it a node made here.
 */

/** A new element of `tag`, with `className` and `text` (as text) when given. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  return node;
}

/** A map popup's content: `title` in bold, then a list of [term, value] rows (a row whose
 * value is empty is left out), all as text. Leaflet is always given this node, never a
 * string: a string given to bindPopup or bindTooltip is read as HTML. */
export function popup(className, title, rows) {
  const box = el("div", className);
  box.appendChild(el("strong", null, title));
  const list = el("dl");
  rows.forEach(function (row) {
    if (row[1] === undefined || row[1] === null || row[1] === "") {
      return;
    }
    list.appendChild(el("dt", null, row[0]));
    list.appendChild(el("dd", null, row[1]));
  });
  box.appendChild(list);
  return box;
}

/** Read the JSON a page hands its script (json_script: <script id=… type=application/json>),
 * or null when the page has none. */
export function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}
