/* Parley: the site header on a phone (templates/base.html; an ES module).
 *
 * On a narrow screen the links, the account menu and the language form fold behind one
 * "Menu" button, so that the header is one short row and the page starts high. The menu is
 * folded only once this script runs: without it everything stays shown. Escape closes it.
 */

function startSiteMenu() {
  const nav = document.querySelector(".site-nav");
  const toggle = nav && nav.querySelector(".site-menu-toggle");
  if (!toggle) {
    return;
  }

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.dataset.menu = open ? "open" : "closed";
  }

  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.dataset.menu === "open") {
      setOpen(false);
      toggle.focus();
    }
  });
  toggle.hidden = false;
  setOpen(false);
}

startSiteMenu();
