// The counter page, 3/3 (after counter-view.js and counter-dialogs.js): the live state from the box (snapshot +
// events over /counter), clicks and keyboard shortcuts, and the start.
"use strict";
(function () {
  const { cfg, $, S, mine, render, toLogin, post } = window.contactpointCounter;
  const { openDialog, openTicket, openCancel, openCloseOther, fillTransfer, fillReferred } = window.contactpointCounter.dialogs;

  // -- live state -------------------------------------------------------------------------------------------
  // a batch brings several events and a summary: draw once for all of them, before the browser paints
  let drawQueued = false;
  function renderSoon() {
    if (drawQueued) return;
    drawQueued = true;
    queueMicrotask(() => { drawQueued = false; render(); });
  }

  function snapshot(snap) {
    S.tickets = {}; S.counters = {};
    S.names = snap.names || {};
    snap.tickets.forEach((t) => { S.tickets[t.id] = t; });
    snap.counters.forEach((c) => { S.counters[c.id] = c; });
    S.printer = snap.printer;
    S.inSync = true;
    render();
  }

  function event(ev) {
    (ev.tickets || []).forEach((t) => {
      if (t.state === "done" || t.state === "cancelled") delete S.tickets[t.id]; else S.tickets[t.id] = t;
    });
    (ev.counters || []).forEach((c) => { S.counters[c.id] = c; });
    if (ev.type === "printer_status") S.printer = ev.data.key;
    if (ev.type === "day_closed") { S.tickets = {}; S.names = {}; }
    if (ev.type === "appointment_booked" && ev.data.name) S.names[ev.data.id] = ev.data.name;
    if (S.dialogTicket && ev.tickets) {
      const t = ev.tickets.find((x) => x.id === S.dialogTicket.id);
      if (t) S.dialogTicket = t;
    }
    renderSoon();
  }

  function onSummary(s) { if (s && s.at) S.clockOffset = s.at - Date.now() / 1000; renderSoon(); }
  function status(s) { S.online = s !== "offline"; if (!S.online) S.inSync = false; render(); }  // "syncing": connected

  // -- clicks and keys --------------------------------------------------------------------------------------
  document.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b || b.disabled) return;
    if (b.dataset.cmd) { e.preventDefault(); post(b.dataset.cmd); }
    else if (b.dataset.outcome) {
      e.preventDefault();
      if (b.dataset.outcome === "referred") { fillReferred(); openDialog("dlg-referred", b); }
      else post("finish", { outcome: b.dataset.outcome });
    } else if (b.dataset.dialog) {
      e.preventDefault();
      if (b.dataset.dialog === "dlg-transfer") fillTransfer();
      if (b.dataset.dialog === "dlg-cancel") {
        const me = mine();
        openCancel(b, me && me.ticket ? me.ticket : null); return;
      }
      if (b.dataset.dialog === "dlg-pause") $("form-pause").reset();
      openDialog(b.dataset.dialog, b);
    } else if (b.dataset.ticket) { e.preventDefault(); openTicket(b.dataset.ticket, b); }
    else if (b.dataset.closeCounter) { e.preventDefault(); openCloseOther(b.dataset.closeCounter, b); }
    else if (b.dataset.rejoin) { e.preventDefault(); post("rejoin", { ticket: b.dataset.rejoin }); }
  });
  $("only-mine").addEventListener("change", render);
  $("open-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    const counter = (f.querySelector('input[name="counter"]:checked') || {}).value;
    const needs = [...f.querySelectorAll('input[name="needs"]:checked')].map((i) => i.value);
    post("open", { counter, needs });
  });
  // keyboard shortcuts (documented in docs/agents.md); ignored while typing in a field or in a dialog
  const keys = { n: "btn-call-next", r: "btn-recall", s: "btn-start", a: "btn-no-show", h: "btn-help", t: "btn-transfer" };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) return;
    if (document.querySelector("dialog[open]")) return;
    const k = e.key.toLowerCase();
    let btn = keys[k] ? $(keys[k]) : null;
    if (k === "p") btn = $("btn-pause").hidden ? $("btn-resume") : $("btn-pause");
    if (!btn && /^[1-5]$/.test(k)) btn = document.querySelectorAll("button[data-outcome]")[Number(k) - 1];
    if (btn && !btn.disabled && !btn.hidden && !$("work-panel").hidden) { e.preventDefault(); btn.click(); }
  });
  // a session the box refuses (expired, new password, account disabled): back to the login page, not "offline"
  window.contactpointLive = Live("/counter", { snapshot, event, summary: onSummary, status, refused: toLogin }, cfg.urls.state);
  setInterval(render, 15000); // waits and grace windows move on without events
  render();
})();
