// The counter console: state from the box (snapshot + events), actions as POSTs to /counter/api/<cmd>.
// While disconnected or out of sync every action is disabled: the console never lies about state.
// The queue is listed in the core's calling order: sortKey() below is contactpoint/domain/ordering.py's
// sort_key, fed with the policy numbers of the site (console config); the browser test checks it against the
// order the server computes (GET /counter/api/state → "order").
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("console-config").textContent);
  const T = JSON.parse(document.getElementById("console-texts").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = document.getElementById("console");
  const $ = (id) => document.getElementById(id);
  const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  const needById = {}; cfg.needs.forEach((n) => { needById[n.id] = n; });
  const counterLabel = {}; cfg.counters.forEach((c) => { counterLabel[c.id] = c.label; });
  const orgById = {}; cfg.organisations.forEach((o) => { orgById[o.id] = o; });
  const msg = (key) => cfg.messages[key] || key;
  const stateName = (s) => cfg.states[s] || s;
  const needName = (id) => (needById[id] ? needById[id].name : id);
  let tickets = {};
  let counters = {};
  let printer = "printer_ok";
  let online = false;
  let inSync = false;
  let busy = false;
  let clockOffset = 0; // server time − local time, from the summaries' "at"
  let dialogTicket = null; // the ticket a dialog acts on

  const serverNow = () => Date.now() / 1000 + clockOffset;

  function mine() {
    return Object.values(counters).find((c) => c.open && c.agent === cfg.agent) || null;
  }

  // -- the core's ordering, in JS (ordering.py: effective_time, sort_key, can_serve) ---------------------
  function effectiveTime(t) {
    if (t.slot_at !== null && t.slot_at !== undefined) return Math.max(t.queue_at, t.slot_at) - cfg.policy.appointment_advance_s;
    if (t.priority) return t.queue_at - cfg.policy.priority_advance_s;
    return t.queue_at;
  }
  function compareTickets(a, b) {
    const ka = [effectiveTime(a), a.queue_at, a.need, a.serial];
    const kb = [effectiveTime(b), b.queue_at, b.need, b.serial];
    for (let i = 0; i < 4; i++) { if (ka[i] < kb[i]) return -1; if (ka[i] > kb[i]) return 1; }
    return 0;
  }
  const isWaiting = (t) => t.state === "issued" || t.state === "transferred";
  function canServe(c, t) {
    if (!isWaiting(t)) return false;
    if (t.target_counter && t.target_counter !== c.id) return false;
    if (t.target_agent && t.target_agent !== c.agent) return false;
    if (t.target_counter || t.target_agent) return true;
    return c.needs.includes(t.need);
  }
  function waitingInOrder() { return Object.values(tickets).filter(isWaiting).sort(compareTickets); }

  function fmtWait(s) {
    const m = Math.floor(Math.max(0, s) / 60);
    return m < 1 ? T.less_than_minute : fill(T.minutes, { minutes: m });
  }

  function ticketTags(t) {
    const tags = [];
    if (t.priority) tags.push("★ " + T.priority);
    if (t.slot_at !== null && t.slot_at !== undefined) tags.push("⏰ " + T.appointment);
    if (t.target_counter) tags.push("→ " + fill(T.for_counter, { counter: counterLabel[t.target_counter] || t.target_counter }));
    if (t.target_agent) tags.push("→ " + fill(T.for_agent, { agent: t.target_agent }));
    if (t.note) tags.push("✎ " + T.note);
    return tags;
  }

  function setButtons(usable) {
    document.querySelectorAll(".c-act").forEach((b) => { b.disabled = !usable; });
    document.querySelectorAll(".c-tickets button").forEach((b) => { b.disabled = !usable; });
  }

  function render() {
    const me = mine();
    const usable = online && inSync && !busy;
    const st = online ? (inSync ? "online" : "syncing") : "offline";
    root.dataset.state = st;
    root.setAttribute("aria-busy", busy ? "true" : "false");  // a command is on its way: keys wait for it
    $("conn").textContent = T[st];
    $("offline").hidden = online && inSync;
    $("open-panel").hidden = !!me || !inSync;
    $("work-panel").hidden = !me;
    $("printer-alert").hidden = printer === "printer_ok";
    $("printer-alert").textContent = printer === "printer_ok" ? "" : msg(printer);
    // help alerts: discreet, from the other counters only; never a sound
    const helpers = Object.values(counters).filter((c) => c.open && c.help && (!me || c.id !== me.id));
    $("help-alert").hidden = helpers.length === 0;
    $("help-alert").replaceChildren(...helpers.map((c) => {
      const p = document.createElement("p");
      p.dataset.counter = c.id;
      p.textContent = "⚑ " + fill(T.asks_help, { counter: counterLabel[c.id] || c.id, agent: c.agent || "" });
      return p;
    }));
    $("help-mine").hidden = !(me && me.help);
    document.querySelectorAll("[data-counter-taken]").forEach((s) => {
      const c = counters[s.dataset.counterTaken];
      s.textContent = c && c.open && c.agent !== cfg.agent ? "(" + c.agent + ")" : "";
    });
    renderSide(me);
    setButtons(usable);
    if (!me) { $("my-counter-label").textContent = ""; return; }
    $("my-counter-label").textContent = " · " + (counterLabel[me.id] || me.id);
    const cur = me.ticket ? tickets[me.ticket] : null;
    $("current-number").textContent = cur ? cur.number : "—";
    $("current-info").textContent = cur ? [
      needName(cur.need), T.language + " " + cur.lang.toUpperCase(), stateName(cur.state),
      cur.calls > 1 ? fill(T.calls, { count: cur.calls }) : "", ...ticketTags(cur).filter((x) => !x.startsWith("✎")),
    ].filter(Boolean).join(" · ") : msg("no_current_ticket");
    const name = cur && cur.appointment_id ? names[cur.appointment_id] : "";
    $("current-name").hidden = !name;
    $("current-name-text").textContent = name || "";
    $("current-note").hidden = !(cur && cur.note);
    $("current-note-text").textContent = cur && cur.note ? cur.note : "";
    $("paused-banner").hidden = !me.paused;
    $("paused-banner").textContent = me.pause_reason ? fill(T.paused, { reason: me.pause_reason }) : T.paused_plain;
    if (usable) {
      $("btn-call-next").disabled = !!cur || me.paused;
      $("btn-recall").disabled = !cur || cur.state !== "called";
      $("btn-start").disabled = !cur || cur.state !== "called";
      $("btn-no-show").disabled = !cur || cur.state !== "called";
      document.querySelectorAll("button[data-outcome]").forEach((b) => { b.disabled = !cur; });
      $("btn-transfer").disabled = !cur;
      $("btn-cancel-current").disabled = !cur;
      $("btn-close").disabled = !!cur;
      $("btn-call-this").disabled = !!cur || me.paused || !dialogTicket || !isWaiting(dialogTicket);
      $("btn-reprint").disabled = !dialogTicket || !isWaiting(dialogTicket);
      $("btn-cancel-ticket").disabled = !dialogTicket || !isWaiting(dialogTicket);
    }
    $("btn-pause").hidden = me.paused;
    $("btn-resume").hidden = !me.paused;
    const help = $("btn-help");
    help.dataset.cmd = me.help ? "help-clear" : "help";
    help.firstChild.textContent = (me.help ? T.cancel_help : T.need_colleague) + " ";
    help.setAttribute("aria-pressed", me.help ? "true" : "false");
  }

  function renderSide(me) {
    const now = serverNow();
    const waiting = waitingInOrder();
    $("needs-table").replaceChildren(...cfg.needs.map((n) => {
      const mineNeed = me && me.needs.includes(n.id);
      const list = waiting.filter((t) => t.need === n.id);
      const longest = list.reduce((m, t) => Math.max(m, now - t.issued_at), 0);
      const tr = document.createElement("tr");
      if (mineNeed) tr.className = "c-mine";
      [n.prefix + " · " + n.name, String(list.length), list.length ? fmtWait(longest) : "—"].forEach((text) => {
        const td = document.createElement("td"); td.textContent = text; tr.append(td);
      });
      tr.dataset.need = n.id;
      return tr;
    }));
    const onlyMine = $("only-mine").checked && me;
    const next = me ? waiting.find((t) => canServe(me, t)) : null;
    const shown = waiting.filter((t) => !onlyMine || canServe(me, t));
    $("queue-list").replaceChildren(...shown.slice(0, 60).map((t) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "c-ticket" + (next && t.id === next.id ? " c-next" : "");
      b.dataset.ticket = t.id;
      const num = document.createElement("strong"); num.textContent = t.number;
      const info = document.createElement("span");
      info.textContent = [needName(t.need), fill(T.waited, { wait: fmtWait(now - t.issued_at) }), ...ticketTags(t),
        next && t.id === next.id ? "⟵ " + T.next : ""].filter(Boolean).join(" · ");
      b.append(num, info);
      li.append(b);
      return li;
    }));
    $("queue-empty").hidden = shown.length > 0;
    const absent = Object.values(tickets).filter((t) => t.state === "no_show").sort((a, b) => b.no_show_at - a.no_show_at);
    $("absent-list").replaceChildren(...absent.map((t) => {
      const li = document.createElement("li");
      li.className = "c-absent";
      li.dataset.ticket = t.id;
      const left = t.no_show_at + cfg.policy.no_show_grace_s - now;
      const label = document.createElement("span");
      label.textContent = t.number + " · " + needName(t.need) + " · " +
        (left > 0 ? fill(T.grace_left, { minutes: Math.max(1, Math.ceil(left / 60)) }) : T.grace_over);
      li.append(label);
      if (left > 0) {
        const b = document.createElement("button");
        b.type = "button"; b.className = "secondary small c-rejoin"; b.dataset.rejoin = t.id;
        b.textContent = T.rejoin;
        li.append(b);
      }
      return li;
    }));
    $("absent-empty").hidden = absent.length > 0;
    $("counters-list").replaceChildren(...cfg.counters.map((c) => {
      const s = counters[c.id] || {};
      const li = document.createElement("li");
      li.dataset.counter = c.id;
      const t = s.ticket ? tickets[s.ticket] : null;
      const parts = [c.label];
      if (!s.open) parts.push(T.closed);
      else {
        parts.push(s.agent || "");
        if (s.paused) parts.push(s.pause_reason ? fill(T.paused, { reason: s.pause_reason }) : T.paused_plain);
        if (t) parts.push(t.number + " (" + stateName(t.state) + ")");
        if (s.help) parts.push("⚑ " + T.help);
      }
      const text = document.createElement("span");
      text.textContent = parts.filter(Boolean).join(" · ");
      li.append(text);
      if (s.help) li.className = "c-help";
      if (!s.open) li.classList.add("c-closed");
      if (s.open && s.agent !== cfg.agent) {  // a colleague's counter left open (their console died, they left)
        const b = document.createElement("button");
        b.type = "button"; b.className = "secondary small c-act c-close-other";
        b.dataset.closeCounter = c.id;
        b.textContent = T.close_other;
        li.append(b);
      }
      return li;
    }));
  }

  // -- live state -------------------------------------------------------------------------------------------
  // a batch brings several events and a summary: draw once for all of them, before the browser paints
  let drawQueued = false;
  function renderSoon() {
    if (drawQueued) return;
    drawQueued = true;
    queueMicrotask(() => { drawQueued = false; render(); });
  }

  // names of today's appointments whose need keeps one ([[needs]] appointment_name), by appointment id
  let names = {};

  function snapshot(snap) {
    tickets = {}; counters = {};
    names = snap.names || {};
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
    if (ev.type === "day_closed") { tickets = {}; names = {}; }
    if (ev.type === "appointment_booked" && ev.data.name) names[ev.data.id] = ev.data.name;
    if (dialogTicket && ev.tickets) {
      const t = ev.tickets.find((x) => x.id === dialogTicket.id);
      if (t) dialogTicket = t;
    }
    renderSoon();
  }

  function onSummary(s) { if (s && s.at) clockOffset = s.at - Date.now() / 1000; renderSoon(); }
  function status(s) { online = s !== "offline"; if (!online) inSync = false; render(); }  // "syncing": connected

  // -- actions ----------------------------------------------------------------------------------------------
  function showError(text, where) {
    const el = where || $("error");
    el.textContent = text; el.hidden = false;
  }
  function info(text) {
    $("info").textContent = text; $("info").hidden = false;
    clearTimeout(info.timer);
    info.timer = setTimeout(() => { $("info").hidden = true; }, 8000);
  }

  // back to the login page once: a 401 and a refused socket can both ask, and a second navigation aborts the first
  let leaving = false;
  const toLogin = () => { if (!leaving) { leaving = true; location.href = cfg.urls.login; } };

  // a command the box has not answered in this time is given up: the console is usable again and says so
  // (the box may still have done it: the live state shows what it did)
  const COMMAND_TIMEOUT_MS = 8000;
  async function request(url, body) {
    // → {ok, data, error}; never throws
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), COMMAND_TIMEOUT_MS);
    try {
      const r = await fetch(url, {
        method: "POST", credentials: "same-origin", signal: ctl.signal,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body || {}),
      });
      if (r.status === 401) { toLogin(); return { ok: false, error: msg("login_required") }; }
      let data = null;
      try { data = await r.json(); } catch (e) { /* not JSON */ }
      if (!r.ok) return { ok: false, error: (data && (data.message || msg(data.error))) || (r.status + " " + r.statusText) };
      return { ok: true, data };
    } catch (e) {
      return { ok: false, error: msg(ctl.signal.aborted ? "command_timeout" : "connection_lost") };
    } finally {
      clearTimeout(timer);
    }
  }

  // a console command; errors go to `errorEl` (a dialog's) or the page's banner. Returns true on success.
  async function post(cmd, body, errorEl) {
    if (busy) return false;
    const from = document.activeElement;
    busy = true; render();
    $("error").hidden = true;
    if (errorEl) errorEl.hidden = true;
    const res = await request(cfg.urls.api + cmd, body);
    busy = false; render();
    // the button pressed (Enter, Space) was disabled while the command ran, so the focus fell to the page body:
    // put it on the number the command is about, not back at the top of the page
    const now = document.activeElement;
    if (from && from.closest && from.closest("#work-panel") && (!now || now === document.body)) $("current-number").focus();
    if (!res.ok) showError(res.error, errorEl);
    return res.ok;
  }

  // -- dialogs ----------------------------------------------------------------------------------------------
  function openDialog(id, from) {
    const d = $(id);
    d.opener = from || document.activeElement;
    d.querySelectorAll(".c-dialog-error").forEach((e) => { e.hidden = true; });
    d.querySelectorAll(".dlg-number").forEach((e) => {
      const me = mine(); const cur = dialogTicket || (me && me.ticket ? tickets[me.ticket] : null);
      e.textContent = cur ? cur.number : "";
    });
    d.showModal();
    const first = d.querySelector("input:checked, input:not([type=radio]):not([hidden]), select:not([hidden]), button:not(:disabled)");
    if (first) first.focus();
  }
  document.querySelectorAll("dialog").forEach((d) => {
    d.addEventListener("close", () => {
      if (d.id === "dlg-ticket") dialogTicket = null;
      const back = d.opener;
      d.opener = null;
      if (back && document.contains(back) && !document.querySelector("dialog[open]")) back.focus();
      render();
    });
    d.querySelectorAll(".c-close").forEach((b) => b.addEventListener("click", () => d.close()));
  });
  const dialogError = (d) => $(d).querySelector(".c-dialog-error");

  function openTicket(id, from) {
    const t = tickets[id];
    if (!t) return;
    dialogTicket = t;
    $("dlg-ticket-number").textContent = t.number;
    $("dlg-ticket-info").textContent = [needName(t.need), T.language + " " + t.lang.toUpperCase(), stateName(t.state),
      fill(T.waited, { wait: fmtWait(serverNow() - t.issued_at) }), ...ticketTags(t).filter((x) => !x.startsWith("✎"))].join(" · ");
    $("dlg-ticket-note").hidden = !t.note;
    $("dlg-ticket-note").textContent = t.note || "";
    $("call-reason").value = "";
    render();
    openDialog("dlg-ticket", from);
    $("call-reason").focus();
  }

  $("form-call").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!dialogTicket) return;
    const reason = $("call-reason").value.trim();
    if (!reason) { showError(T.reason_required, dialogError("dlg-ticket")); $("call-reason").focus(); return; }
    if (await post("call", { ticket: dialogTicket.id, reason }, dialogError("dlg-ticket"))) $("dlg-ticket").close();
  });
  $("btn-reprint").addEventListener("click", async () => {
    if (!dialogTicket || $("btn-reprint").disabled) return;
    $("btn-reprint").disabled = true;  // a double click prints one ticket, not two
    const res = await request(cfg.urls.reprint, { ticket: dialogTicket.id });
    $("btn-reprint").disabled = false;
    if (res.ok) { $("dlg-ticket").close(); info(T.reprint_sent); } else showError(res.error, dialogError("dlg-ticket"));
  });
  let cancelTarget = null;
  $("btn-cancel-ticket").addEventListener("click", () => {
    cancelTarget = dialogTicket ? dialogTicket.id : null;
    const back = $("dlg-ticket").opener;
    $("dlg-ticket").close();
    openCancel(back);
  });
  function openCancel(from) {
    const f = $("form-cancel");
    f.reset();
    openDialog("dlg-cancel", from);
  }
  function chosenReason(form, textId) {
    const preset = form.querySelector('input[name="preset"]:checked');
    const text = $(textId).value.trim();
    return preset && preset.value ? preset.value : text;
  }
  $("form-cancel").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = chosenReason(e.target, "cancel-reason");
    if (!reason) { showError(T.reason_required, dialogError("dlg-cancel")); return; }
    if (!cancelTarget) return;
    if (await post("cancel", { ticket: cancelTarget, reason }, dialogError("dlg-cancel"))) $("dlg-cancel").close();
  });
  // typing an "other" reason selects "Other"
  [["cancel-reason", "form-cancel"], ["pause-reason", "form-pause"]].forEach(([inp, form]) => {
    $(inp).addEventListener("input", () => {
      const other = $(form).querySelector('input[name="preset"][value=""]');
      if (other) other.checked = true;
    });
  });

  $("form-pause").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = chosenReason(e.target, "pause-reason");
    if (!reason) { showError(T.reason_required, dialogError("dlg-pause")); return; }
    if (await post("pause", { reason }, dialogError("dlg-pause"))) $("dlg-pause").close();
  });

  // closing a colleague's counter: a confirmation with a reason, logged; their visitor goes back to the queue
  let closeTarget = null; // {counter, agent}
  function openCloseOther(id, from) {
    const s = counters[id];
    if (!s || !s.open) return;
    closeTarget = { counter: id, agent: s.agent };
    $("form-close-other").reset();
    const t = s.ticket ? tickets[s.ticket] : null;
    $("close-other-what").textContent = fill(T.close_other_what, { counter: counterLabel[id] || id, agent: s.agent || "" });
    $("close-other-visitor").hidden = !t;
    $("close-other-visitor").textContent = t ? fill(T.close_other_visitor, { number: t.number }) : "";
    openDialog("dlg-close-other", from);
  }
  $("form-close-other").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = chosenReason(e.target, "close-other-reason");
    if (!reason) { showError(T.reason_required, dialogError("dlg-close-other")); return; }
    if (!closeTarget) return;
    if (await post("close-other", { ...closeTarget, reason }, dialogError("dlg-close-other"))) $("dlg-close-other").close();
  });
  $("close-other-reason").addEventListener("input", () => {
    const other = $("form-close-other").querySelector('input[name="preset"][value=""]');
    if (other) other.checked = true;
  });

  // transfer: to another need, a counter, or an agent at a counter now
  function fillTransfer() {
    const me = mine();
    const cur = me && me.ticket ? tickets[me.ticket] : null;
    const opt = (value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; };
    $("transfer-need").replaceChildren(...cfg.needs.filter((n) => !cur || n.id !== cur.need).map((n) => opt(n.id, n.prefix + " · " + n.name)));
    // a closed counter is listed but cannot be chosen: nobody would call the visitor there
    const targets = cfg.counters.filter((c) => !me || c.id !== me.id).map((c) => {
      const s = counters[c.id];
      const o = opt(c.id, c.label + (s && s.open ? " · " + s.agent : " · " + T.closed));
      o.disabled = !(s && s.open);
      return o;
    });
    targets.sort((a, b) => a.disabled - b.disabled);  // the open ones first: the first is chosen
    $("transfer-counter").replaceChildren(...targets);
    $("transfer-counter").value = targets.length && !targets[0].disabled ? targets[0].value : "";
    $("form-transfer").querySelector('input[value="to_counter"]').disabled = !targets.some((o) => !o.disabled);
    const agents = Object.values(counters).filter((c) => c.open && c.agent && c.agent !== cfg.agent);
    $("transfer-agent").replaceChildren(...agents.map((c) => opt(c.agent, c.agent + " · " + (counterLabel[c.id] || c.id))));
    const none = $("form-transfer").querySelector('input[value="to_agent"]');
    none.disabled = agents.length === 0;
    $("transfer-note").value = "";
    showKind("need");
    $("form-transfer").querySelector('input[value="need"]').checked = true;
  }
  function showKind(kind) {
    $("form-transfer").querySelectorAll("[data-kind]").forEach((el) => { el.hidden = el.dataset.kind !== kind; });
  }
  $("form-transfer").addEventListener("change", (e) => { if (e.target.name === "kind") showKind(e.target.value); });
  $("form-transfer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const kind = e.target.querySelector('input[name="kind"]:checked').value;
    const sel = e.target.querySelector('select[name="' + kind + '"]');
    if (!sel.value) { showError(msg("transfer_target_required"), dialogError("dlg-transfer")); return; }
    const body = { note: $("transfer-note").value.trim() || null };
    body[kind] = sel.value;
    if (await post("transfer", body, dialogError("dlg-transfer"))) $("dlg-transfer").close();
  });

  // finish "referred": which organisation, then offer the referral slip
  let referred = null; // {ticket, number, organisation}
  function fillReferred() {
    const box = $("org-choices");
    box.querySelectorAll("label").forEach((l) => l.remove());
    cfg.organisations.forEach((o, i) => {
      const l = document.createElement("label"); l.className = "c-choice c-org";
      const r = document.createElement("input"); r.type = "radio"; r.name = "organisation"; r.value = o.id;
      if (i === 0) r.checked = true;
      const s = document.createElement("span"); s.textContent = o.kind_name + " — " + o.name;
      l.append(r, s); box.append(l);
    });
    const free = cfg.organisations.length === 0; // no list in the site file: the agent names the kind
    $("referral-other").hidden = !free; $("referral-other-label").hidden = !free; $("referral-other").value = "";
    $("referred-step1").hidden = false; $("referred-step2").hidden = true;
    $("btn-referred-go").hidden = false; $("btn-print-slip").hidden = true;
    $("btn-referred-close").textContent = T.back;
    $("slip-result").textContent = "";
    referred = null;
  }
  $("form-referred").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (referred) return;
    const me = mine();
    const cur = me && me.ticket ? tickets[me.ticket] : null;
    if (!cur) return;
    const chosen = e.target.querySelector('input[name="organisation"]:checked');
    const org = chosen ? chosen.value : $("referral-other").value.trim();
    if (!org) { showError(msg("referral_required"), dialogError("dlg-referred")); return; }
    const ticket = cur.id, number = cur.number;
    if (!(await post("finish", { outcome: "referred", referral: org }, dialogError("dlg-referred")))) return;
    referred = { ticket, number, organisation: org };
    const name = orgById[org] ? orgById[org].name : org;
    $("referred-done").textContent = fill(T.referred_done, { number, organisation: name });
    $("referred-step1").hidden = true; $("referred-step2").hidden = false;
    $("btn-referred-go").hidden = true;
    $("btn-print-slip").hidden = !orgById[org];
    $("btn-referred-close").textContent = T.done;
    ($("btn-print-slip").hidden ? $("btn-referred-close") : $("btn-print-slip")).focus();
  });
  $("btn-print-slip").addEventListener("click", async () => {
    if (!referred) return;
    $("btn-print-slip").disabled = true;
    const res = await request(cfg.urls.slip, { ticket: referred.ticket, organisation: referred.organisation });
    $("btn-print-slip").disabled = false;
    if (res.ok) { $("slip-result").textContent = T.slip_sent; $("btn-referred-close").focus(); }
    else showError(res.error, dialogError("dlg-referred"));
  });

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
        const me = mine(); cancelTarget = me && me.ticket ? me.ticket : null;
        openCancel(b); return;
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
