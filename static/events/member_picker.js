/* Parley: suggestions of people to add beside "Add member" on a demonstration's page
 * (templates/events/_member_add.html; an ES module).
 *
 * As the reader types, asks events:member_candidates (?q=…) for the people they may add
 * (police and city staff for a city official, organisers for an organiser, who must type
 * at least data-min-chars characters) and offers them in a <datalist>: the browser's own
 * accessible list under the field, each option a username labelled with the person's name
 * and role. Choosing one fills in the username; the form is sent as before. Without this
 * script the field takes a username typed in full. Names are only ever set as text.
 */
import {el} from "../js/dom.js";
import {fill, gettext, ngettext} from "../js/i18n.js";

/** How long typing pauses before the people are asked for, in milliseconds. */
const PAUSE_MS = 250;

function startPicker() {
  const form = document.getElementById("member-add");
  if (!form) {
    return;
  }
  const input = form.querySelector('input[name="username"]');
  const status = form.querySelector(".member-picker-status");
  const url = form.getAttribute("data-candidates-url");
  const minChars = Number(form.getAttribute("data-min-chars")) || 0;
  const list = el("datalist");
  list.id = "member-candidates";
  form.appendChild(list);
  input.setAttribute("list", list.id);
  const hint = minChars
    ? fill(gettext("Type at least %(count)s letters of their name or username, then choose them from the list."), {count: minChars})
    : gettext("Type part of their name or username, then choose them from the list.");
  const say = function (text) {
    status.textContent = text;
    status.hidden = !text;
  };
  say(hint);

  let timer = null;
  let asked = 0;
  const search = function () {
    const query = input.value.trim();
    if (query.length < minChars) {
      list.textContent = "";
      say(hint);
      return;
    }
    asked += 1;
    const mine = asked;
    fetch(url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: {Accept: "application/json"},
    }).then(function (response) {
      return response.ok ? response.json() : Promise.reject(new Error(String(response.status)));
    }).then(function (people) {
      if (mine !== asked) {
        return;  // the reader typed on: a later answer is awaited
      }
      list.textContent = "";
      people.forEach(function (person) {
        const option = el("option");
        option.value = person.username;
        option.label = fill(gettext("%(name)s, %(role)s"), {name: person.name, role: person.role_label});
        list.appendChild(option);
      });
      say(people.length
        ? fill(ngettext("One person found: choose them from the list.",
                        "%(count)s people found: choose one from the list.", people.length),
               {count: people.length})
        : gettext("Nobody found whom you can add. Check the spelling, or type their username."));
    }).catch(function () {
      if (mine === asked) {
        say(gettext("The suggestions could not be loaded; you can still type a username."));
      }
    });
  };
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, PAUSE_MS);
  });
}

startPicker();
