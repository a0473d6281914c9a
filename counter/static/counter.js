// The counter console: state from the box (snapshot + events), actions as POSTs to /counter/api/<cmd>.
// While disconnected or out of sync every action is disabled: the console never lies about state.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = document.getElementById("console");
  const $ = (id) => document.getElementById(id);
  const needName = {}; cfg.needs.forEach((n) => { needName[n.id] = n.name; });
  const counterLabel = {}; cfg.counters.forEach((c) => { counterLabel[c.id] = c.label; });
  const msg = (key) => cfg.messages[key] || key;
  let tickets = {};
  let counters = {};
  let summary = { needs: {} };
  let printer = "printer_ok";
  let online = false;
  let inSync = false;
  let busy = false;

  function mine() {
    return Object.values(counters).find((c) => c.open && c.agent === cfg.agent) || null;
  }

  function fmtWait(s) {
    const m = Math.floor(s / 60);
    return m < 1 ? "< 1 min" : m + " min";
  }

  function render() {
    const me = mine();
    const usable = online && inSync && !busy;
    root.dataset.state = online ? (inSync ? "online" : "syncing") : "offline";
    $("conn").textContent = online ? "" : "";
    $("offline").hidden = online && inSync;
    $("open-panel").hidden = !!me || !inSync;
    $("work-panel").hidden = !me;
    document.querySelectorAll("button[data-cmd], button[data-outcome], #open-btn, .c-call-this").forEach((b) => { b.disabled = !usable; });
    $("printer-alert").hidden = printer === "printer_ok";
    $("printer-alert").textContent = printer === "printer_ok" ? "" : msg(printer);
    const helpers = Object.values(counters).filter((c) => c.open && c.help && (!me || c.id !== me.id));
    $("help-alert").hidden = helpers.length === 0;
    $("help-alert").textContent = helpers.map((c) => "⚠ " + (counterLabel[c.id] || c.id) + " · " + (c.agent || "")).join("  ");
    if (!me) return;
    $("my-counter-label").textContent = counterLabel[me.id] || me.id;
    const cur = me.ticket ? tickets[me.ticket] : null;
    $("current-number").textContent = cur ? cur.number : "—";
    $("current-info").textContent = cur ? [needName[cur.need] || cur.need, cur.lang.toUpperCase(), cur.priority ? "★" : "", cur.state].filter(Boolean).join(" · ") : "";
    $("current-note").hidden = !(cur && cur.note);
    $("current-note").textContent = cur && cur.note ? cur.note : "";
    if (usable) {
      $("btn-call-next").disabled = !!cur || me.paused;
      $("btn-recall").disabled = !cur || cur.state !== "called";
      $("btn-start").disabled = !cur || cur.state !== "called";
      $("btn-no-show").disabled = !cur || cur.state !== "called";
      document.querySelectorAll("button[data-outcome]").forEach((b) => { b.disabled = !cur; });
      $("btn-close").disabled = !!cur;
    }
    $("btn-pause").hidden = me.paused;
    $("btn-resume").hidden = !me.paused;
    $("btn-help").dataset.cmd = me.help ? "help-clear" : "help";
    // the waiting summary and the queue for my services
    const rows = cfg.needs.map((n) => {
      const s = summary.needs[n.id] || { waiting: 0, longest_wait_s: 0 };
      const tr = document.createElement("tr");
      [n.prefix + " · " + n.name, String(s.waiting), s.waiting ? fmtWait(s.longest_wait_s) : "—"].forEach((t) => {
        const td = document.createElement("td"); td.textContent = t; tr.append(td);
      });
      return tr;
    });
    $("needs-table").replaceChildren(...rows);
    const waiting = Object.values(tickets)
      .filter((t) => (t.state === "issued" || t.state === "transferred") &&
        (me.needs.includes(t.need) || t.target_counter === me.id || t.target_agent === cfg.agent))
      .sort((a, b) => a.queue_at - b.queue_at);
    $("queue-list").replaceChildren(...waiting.slice(0, 30).map((t) => {
      const li = document.createElement("li");
      li.textContent = t.number + " · " + (needName[t.need] || t.need) + (t.priority ? " ★" : "") + (t.note ? " ✎" : "") + " ";
      return li;
    }));
    $("counters-list").replaceChildren(...cfg.counters.map((c) => {
      const st = counters[c.id] || {};
      const li = document.createElement("li");
      const t = st.ticket ? tickets[st.ticket] : null;
      li.textContent = c.label + ": " + (st.open ? (st.agent || "") + (st.paused ? " (pause)" : "") + (t ? " · " + t.number : "") : "—");
      if (st.help) li.className = "c-help";
      return li;
    }));
  }

  function snapshot(snap) {
    tickets = {}; counters = {};
    snap.tickets.forEach((t) => { tickets[t.id] = t; });
    snap.counters.forEach((c) => { counters[c.id] = c; });
    printer = snap.printer;
    inSync = true;
    render();
  }

  function event(ev) {
    (ev.tickets || []).forEach((t) => {
      if (t.state === "done" || t.state === "cancelled") delete tickets[t.id]; else tickets[t.id] = t;
    });
    (ev.counters || []).forEach((c) => { counters[c.id] = c; });
    if (ev.type === "printer_status") printer = ev.data.key;
    if (ev.type === "day_closed") tickets = {};
    render();
  }

  function onSummary(s) { summary = s; render(); }
  function status(s) { online = s === "online"; if (!online) inSync = false; render(); }

  async function post(cmd, body) {
    if (busy) return;
    busy = true; render();
    $("error").hidden = true;
    try {
      const r = await fetch("/counter/api/" + cmd, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body || {}),
      });
      if (r.status === 401) { location.href = "/counter/login"; return; }
      if (!r.ok) {
        let text = r.statusText;
        try { const j = await r.json(); text = j.message || msg(j.error); } catch (e) { /* not JSON */ }
        $("error").textContent = text; $("error").hidden = false;
      }
    } catch (e) {
      $("error").textContent = msg("printer_offline"); $("error").hidden = false;
    } finally {
      busy = false; render();
    }
  }

  document.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b || b.disabled) return;
    if (b.dataset.cmd) { e.preventDefault(); post(b.dataset.cmd); }
    else if (b.dataset.outcome) { e.preventDefault(); post("finish", { outcome: b.dataset.outcome }); }
  });
  $("open-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target;
    const counter = (f.querySelector('input[name="counter"]:checked') || {}).value;
    const needs = [...f.querySelectorAll('input[name="needs"]:checked')].map((i) => i.value);
    post("open", { counter, needs });
  });
  // keyboard shortcuts (documented in docs/agents.md); ignored while typing in a field
  const keys = { n: "btn-call-next", r: "btn-recall", s: "btn-start", a: "btn-no-show", h: "btn-help" };
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) return;
    const k = e.key.toLowerCase();
    let btn = keys[k] ? $(keys[k]) : null;
    if (!btn && /^[1-5]$/.test(k)) btn = document.querySelectorAll("button[data-outcome]")[Number(k) - 1];
    if (btn && !btn.disabled && !btn.hidden) { e.preventDefault(); btn.click(); }
  });
  window.contactpointLive = Live("/counter", { snapshot, event, summary: onSummary, status }, "/counter/api/state");
  render();
})();
