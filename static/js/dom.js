/* Parley: the one DOM helper the page scripts share (loaded before them by base.html).
 *
 * Text always goes in as textContent, never as markup: whatever people typed is shown as
 * text on every page.
 */
(function () {
  "use strict";

  /** A new element of `tag`, with `className` and `text` (as text) when given. */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  window.parleyDom = {el: el};
})();
