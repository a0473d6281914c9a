// The counter page, 1/3 (then counter-dialogs.js, counter.js): its state and how it is drawn; actions as POSTs
// to /counter/api/<cmd>. While disconnected or out of sync every action is disabled: the page never lies about state.
// The queue is listed in the core's calling order: sortKey() below is contactpoint/domain/ordering.py's
// sort_key, fed with the policy numbers of the site (counter config); the browser test checks it against the
// order the server computes (GET /counter/api/state → "order").
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("counter-config").textContent);
  const T = JSON.parse(document.getElementById("counter-texts").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = document.getElementById("counter-page");
  const $ = (id) => document.getElementById(id);
  const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  const needById = {}; cfg.needs.forEach((n) => { needById[n.id] = n; });
  const counterLabel = {}; cfg.counters.forEach((c) => { counterLabel[c.id] = c.label; });
  const orgById = {}; cfg.organisations.forEach((o) => { orgById[o.id] = o; });
  const msg = (key) => cfg.messages[key] || key;
  const stateName = (s) => cfg.states[s] || s;
  const needName = (id) => (needById[id] ? needById[id].name : id);
  // the page's state, shared by the three scripts (this one, counter-dialogs.js, counter.js)
  const S = {
    tickets: {},
    counters: {},
    // names of today's appointments whose need keeps one ([[needs]] appointment_name), by appointment id
    names: {},
    printer: "printer_ok",
    online: false,
    inSync: false,
    busy: false,
    clockOffset: 0, // server time − local time, from the summaries' "at"
    dialogTicket: null, // the ticket a dialog acts on
  };

  const serverNow = () => Date.now() / 1000 + S.clockOffset;

  function mine() {
    return Object.values(S.counters).find((c) => c.open && c.agent === cfg.agent) || null;
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
  function waitingInOrder() { return Object.values(S.tickets).filter(isWaiting).sort(compareTickets); }

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
    const usable = S.online && S.inSync && !S.busy;
    const st = S.online ? (S.inSync ? "online" : "syncing") : "offline";
    root.dataset.state = st;
    root.setAttribute("aria-busy", S.busy ? "true" : "false");  // a command is on its way: keys wait for it
    $("conn").textContent = T[st];
    $("offline").hidden = S.online && S.inSync;
    $("open-panel").hidden = !!me || !S.inSync;
    $("work-panel").hidden = !me;
    $("printer-alert").hidden = S.printer === "printer_ok";
    $("printer-alert").textContent = S.printer === "printer_ok" ? "" : msg(S.printer);
    // help alerts: discreet, from the other S.counters only; never a sound
    const helpers = Object.values(S.counters).filter((c) => c.open && c.help && (!me || c.id !== me.id));
    $("help-alert").hidden = helpers.length === 0;
    $("help-alert").replaceChildren(...helpers.map((c) => {
      const p = document.createElement("p");
      p.dataset.counter = c.id;
      p.textContent = "⚑ " + fill(T.asks_help, { counter: counterLabel[c.id] || c.id, agent: c.agent || "" });
      return p;
    }));
    $("help-mine").hidden = !(me && me.help);
    document.querySelectorAll("[data-counter-taken]").forEach((s) => {
      const c = S.counters[s.dataset.counterTaken];
      s.textContent = c && c.open && c.agent !== cfg.agent ? "(" + c.agent + ")" : "";
    });
    renderSide(me);
    setButtons(usable);
    if (!me) { $("my-counter-label").textContent = ""; return; }
    $("my-counter-label").textContent = " · " + (counterLabel[me.id] || me.id);
    const cur = me.ticket ? S.tickets[me.ticket] : null;
    $("current-number").textContent = cur ? cur.number : "—";
    $("current-info").textContent = cur ? [
      needName(cur.need), T.language + " " + cur.lang.toUpperCase(), stateName(cur.state),
      cur.calls > 1 ? fill(T.calls, { count: cur.calls }) : "", ...ticketTags(cur).filter((x) => !x.startsWith("✎")),
    ].filter(Boolean).join(" · ") : msg("no_current_ticket");
    const name = cur && cur.appointment_id ? S.names[cur.appointment_id] : "";
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
      $("btn-call-this").disabled = !!cur || me.paused || !S.dialogTicket || !isWaiting(S.dialogTicket);
      $("btn-reprint").disabled = !S.dialogTicket || !isWaiting(S.dialogTicket);
      $("btn-cancel-ticket").disabled = !S.dialogTicket || !isWaiting(S.dialogTicket);
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
    const absent = Object.values(S.tickets).filter((t) => t.state === "no_show").sort((a, b) => b.no_show_at - a.no_show_at);
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
      const s = S.counters[c.id] || {};
      const li = document.createElement("li");
      li.dataset.counter = c.id;
      const t = s.ticket ? S.tickets[s.ticket] : null;
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
      if (s.open && s.agent !== cfg.agent) {  // a colleague's counter left open (their counter page died, they left)
        const b = document.createElement("button");
        b.type = "button"; b.className = "secondary small c-act c-close-other";
        b.dataset.closeCounter = c.id;
        b.textContent = T.close_other;
        li.append(b);
      }
      return li;
    }));
  }

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

  // a command the box has not answered in this time is given up: the counter page is usable again and says so
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

  // a counter command; errors go to `errorEl` (a dialog's) or the page's banner. Returns true on success.
  async function post(cmd, body, errorEl) {
    if (S.busy) return false;
    const from = document.activeElement;
    S.busy = true; render();
    $("error").hidden = true;
    if (errorEl) errorEl.hidden = true;
    const res = await request(cfg.urls.api + cmd, body);
    S.busy = false; render();
    // the button pressed (Enter, Space) was disabled while the command ran, so the focus fell to the page body:
    // put it on the number the command is about, not back at the top of the page
    const now = document.activeElement;
    if (from && from.closest && from.closest("#work-panel") && (!now || now === document.body)) $("current-number").focus();
    if (!res.ok) showError(res.error, errorEl);
    return res.ok;
  }

  window.contactpointCounter = {
    cfg, T, $, fill, counterLabel, orgById, msg, stateName, needName, S, serverNow, mine, fmtWait, ticketTags,
    render, showError, info, toLogin, request, post,
  };
})();
