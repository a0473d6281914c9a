// The devices page, kept current while it is open: every few seconds it asks the box which devices are
// connected now and when each was last seen, and reloads when a new pairing code waits (never while a form is
// being filled in: the technician's typing is not lost).
(function () {
  "use strict";
  var table = document.getElementById("devices");
  if (!table || !window.fetch) return;
  var EVERY_MS = 4000;
  var shownCodes = Array.prototype.map.call(document.querySelectorAll("#pending tr[data-code]"), function (tr) {
    return tr.getAttribute("data-code");
  }).sort().join(",");

  function typing() {
    var el = document.activeElement;
    return el && el.form && (el.tagName === "INPUT" || el.tagName === "SELECT") && el.value !== "";
  }

  function cell(row, cls) {
    return row.querySelector("td." + cls);
  }

  function apply(state) {
    var connected = {};
    state.connected.forEach(function (id) { connected[String(id)] = true; });
    Array.prototype.forEach.call(table.querySelectorAll("tr[data-device]"), function (row) {
      if (row.classList.contains("m-disabled")) return;  // revoked: its cell says when
      var id = row.getAttribute("data-device");
      var now = cell(row, "m-connected");
      var yes = !!connected[id];
      if (now && now.getAttribute("data-now") !== String(yes)) {
        now.setAttribute("data-now", String(yes));
        now.textContent = "";
        if (yes) {
          var strong = document.createElement("strong");
          strong.className = "m-live";
          strong.textContent = table.getAttribute("data-yes");
          now.appendChild(strong);
        } else {
          now.textContent = table.getAttribute("data-no");
        }
      }
      var last = cell(row, "m-last");
      if (last && state.last_contact[id] && last.textContent !== state.last_contact[id]) {
        last.textContent = state.last_contact[id];
      }
    });
    if (state.pending.join(",") !== shownCodes && !typing()) window.location.reload();
  }

  function poll() {
    fetch(table.getAttribute("data-live"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) apply(state); })
      .catch(function () { /* the box restarting: the next round tries again */ })
      .then(function () { window.setTimeout(poll, EVERY_MS); });
  }
  window.setTimeout(poll, EVERY_MS);
})();
