// The display: shows each call for at least MIN_SHOW_MS, one at a time, in order; never stale silently.
"use strict";
(function () {
  const MIN_SHOW_MS = 5000;
  const root = document.getElementById("display");
  const $ = (id) => document.getElementById(id);
  const counterWord = root.dataset.counterWord;
  let labels = {};          // counter id -> label
  let needNames = {};       // need id -> name in the display's language
  let pending = [];         // calls waiting to be shown
  let showing = false;
  let lastCalls = [];       // newest first

  function renderLast() {
    const ol = $("last-calls");
    ol.replaceChildren(...lastCalls.slice(0, 6).map((c) => {
      const li = document.createElement("li");
      const n = document.createElement("span"); n.className = "num"; n.textContent = c.number;
      const k = document.createElement("span"); k.className = "ctr"; k.textContent = counterWord + " " + (labels[c.counter] || c.counter);
      li.append(n, k);
      return li;
    }));
  }

  function setCurrent(call, flash) {
    $("current-number").textContent = call.number;
    $("current-counter").textContent = labels[call.counter] || call.counter;
    const box = $("current-call");
    box.hidden = false;
    $("idle").hidden = true;
    root.dataset.current = call.number + "@" + call.counter;
    if (flash) { box.classList.remove("flash"); void box.offsetWidth; box.classList.add("flash"); }
  }

  function showNext() {
    if (!pending.length) { showing = false; return; }
    showing = true;
    const call = pending.shift();
    setCurrent(call, true);
    lastCalls = [call].concat(lastCalls.filter((c) => c.ticket !== call.ticket)).slice(0, 10);
    renderLast();
    document.dispatchEvent(new CustomEvent("contactpoint:call", { detail: call }));
    setTimeout(showNext, MIN_SHOW_MS);
  }

  function enqueue(call) {
    pending.push(call);
    if (!showing) showNext();
  }

  function snapshot(snap) {
    labels = {};
    (snap.site.counters || []).forEach((c) => { labels[c.id] = c.label; });
    const lang = root.dataset.lang;
    needNames = {};
    (snap.site.needs || []).forEach((n) => { needNames[n.id] = n.names[lang] || n.names[snap.site.languages[0]] || n.id; });
    pending = [];
    const calls = (snap.calls || []).slice().reverse();  // newest first
    lastCalls = [];
    const seen = new Set();
    for (const c of calls) { if (!seen.has(c.ticket)) { seen.add(c.ticket); lastCalls.push(c); } }
    renderLast();
    if (lastCalls.length) setCurrent(lastCalls[0], false);
    else { $("current-call").hidden = true; $("idle").hidden = false; delete root.dataset.current; }
    root.dataset.seq = snap.seq;
  }

  function event(ev) {
    if (ev.type === "ticket_called" || ev.type === "ticket_recalled") {
      const t = ev.tickets && ev.tickets[0];
      if (!t) return;
      enqueue({ ticket: t.id, number: t.number, counter: ev.data.counter || t.counter, lang: t.lang,
                at: ev.at, recall: ev.type === "ticket_recalled" });
    } else if (ev.type === "day_closed") {
      lastCalls = []; pending = []; renderLast();
      $("current-call").hidden = true; $("idle").hidden = false;
    }
  }

  function summary(s) {
    const ul = $("waits");
    const items = Object.entries(s.needs || {}).filter(([, v]) => v.waiting > 0 || v.counters > 0);
    ul.replaceChildren(...items.map(([id, v]) => {
      const li = document.createElement("li");
      const mins = v.estimate_s == null ? "–" : "~" + Math.max(1, Math.round(v.estimate_s / 60)) + " min";
      li.textContent = (needNames[id] || id) + ": " + v.waiting + " " + root.dataset.waitingWord + " · " + mins;
      return li;
    }));
  }

  function status(s) {
    root.dataset.state = s;
    $("offline").hidden = s === "online";
  }

  function clock() {
    const d = new Date();
    $("clock").textContent = d.toLocaleTimeString(root.dataset.lang, { hour: "2-digit", minute: "2-digit" });
  }
  clock(); setInterval(clock, 10000);
  window.contactpointLive = Live("/display", { snapshot, event, summary, status });
})();
