// The display: shows each call one at a time, in order, for at least min_call_s and until its announcement
// has been spoken (chime, then the visitor's language, then the site's announcement languages); never two
// at once, never stale silently: while the box is unreachable, a "reconnecting" screen hides the calls.
"use strict";
(function () {
  const root = document.getElementById("display");
  const $ = (id) => document.getElementById(id);
  const data = root.dataset;
  const MIN_SHOW_MS = parseInt(data.minCallMs, 10) || 6000;
  const ANNOUNCE = data.announce === "true";
  const CHIME_URL = data.chimeUrl;
  const AUDIO_TIMEOUT_MS = 30000;       // one file never holds the queue longer than this
  const PLAYLIST_TIMEOUT_MS = 25000;
  const zoneNeeds = JSON.parse(data.zoneNeeds || "[]");
  const zoneCounters = JSON.parse(data.zoneCounters || "[]");
  const hours = JSON.parse(data.hours || "{}");
  const tz = data.tz || undefined;
  const counterWord = data.counterWord;
  const speaker = $("speaker");

  let labels = {};          // counter id -> label
  let needNames = {};       // need id -> name in the display's language
  let needOrder = [];       // need ids in the site file's order
  let pending = [];         // calls waiting to be shown
  let showing = false;
  let generation = 0;       // bumped when the queue is thrown away (offline, day closed)
  let lastCalls = [];       // newest first
  let soundBlocked = false;

  // what happened, for people debugging a site and for the browser tests
  const callLog = window.contactpointCallLog = [];
  const audioLog = window.contactpointAudioLog = [];

  function inZone(need, counter) {
    return (!zoneNeeds.length || zoneNeeds.includes(need)) && (!zoneCounters.length || zoneCounters.includes(counter));
  }

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

  function clearCurrent() {
    $("current-call").hidden = true;
    $("idle").hidden = false;
    delete root.dataset.current;
  }

  // -- sound -----------------------------------------------------------------------------------------------
  function showSoundButton() {
    soundBlocked = true;
    $("enable-sound").hidden = false;
  }

  $("enable-sound").addEventListener("click", () => {
    soundBlocked = false;
    $("enable-sound").hidden = true;
    speaker.src = CHIME_URL;               // a user gesture unlocks the element for later calls
    speaker.play().catch(() => showSoundButton());
  });

  function playUrl(url, call, gen) {
    return new Promise((resolve) => {
      const entry = { ticket: call.ticket, number: call.number, url, start: Date.now(), end: null, ok: false, why: "" };
      audioLog.push(entry);
      let done = false;
      let timer = null;
      const finish = (ok, why) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        speaker.removeEventListener("ended", onEnded);
        speaker.removeEventListener("error", onError);
        entry.end = Date.now(); entry.ok = ok; entry.why = why;
        resolve(ok);
      };
      const onEnded = () => finish(true, "ended");
      const onError = () => finish(false, "error");
      if (gen !== generation) { finish(false, "cancelled"); return; }
      speaker.addEventListener("ended", onEnded);
      speaker.addEventListener("error", onError);
      timer = setTimeout(() => { speaker.pause(); finish(false, "timeout"); }, AUDIO_TIMEOUT_MS);
      speaker.src = url;
      const p = speaker.play();
      if (p && p.catch) {
        p.catch((e) => {
          if (e && e.name === "NotAllowedError") showSoundButton();  // autoplay blocked: calls still show
          finish(false, (e && e.name) || "play failed");
        });
      }
    });
  }

  async function playlist(call) {
    const url = data.announcementUrl.replace("TICKET", encodeURIComponent(call.ticket)) + (call.recall ? "?recall=1" : "?recall=0");
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), PLAYLIST_TIMEOUT_MS);
    try {
      const r = await fetch(url, { cache: "no-store", signal: ctl.signal });
      if (!r.ok) return [];
      const body = await r.json();
      return body.urls || [];
    } catch (e) {
      return [];
    } finally {
      clearTimeout(timer);
    }
  }

  // the chime starts at once while the box prepares (or finds in its cache) the spoken part
  async function announce(call, gen) {
    if (!ANNOUNCE || soundBlocked) return;
    const list = playlist(call);
    await playUrl(CHIME_URL, call, gen);
    const urls = await list;
    for (const url of urls) {
      if (url === CHIME_URL) continue;
      if (gen !== generation || soundBlocked) return;
      await playUrl(url, call, gen);
    }
  }

  // -- the queue of calls ----------------------------------------------------------------------------------
  async function showNext() {
    if (!pending.length) { showing = false; return; }
    showing = true;
    const gen = generation;
    const call = pending.shift();
    setCurrent(call, true);
    lastCalls = [call].concat(lastCalls.filter((c) => c.ticket !== call.ticket)).slice(0, 10);
    renderLast();
    const entry = { ticket: call.ticket, number: call.number, counter: call.counter, recall: call.recall, shown: Date.now(), done: null };
    callLog.push(entry);
    document.dispatchEvent(new CustomEvent("contactpoint:call", { detail: call }));
    const minTime = new Promise((resolve) => setTimeout(resolve, MIN_SHOW_MS));
    await Promise.all([minTime, announce(call, gen).catch(() => {})]);
    entry.done = Date.now();
    if (gen !== generation) return;   // the queue was reset meanwhile: whoever reset it restarts it
    showNext();
  }

  function enqueue(call) {
    if (pending.some((c) => c.ticket === call.ticket && c.counter === call.counter)) return;  // already queued
    pending.push(call);
    if (!showing) showNext();
  }

  function resetQueue() {
    generation += 1;
    pending = [];
    showing = false;
    speaker.pause();
  }

  // -- live state ------------------------------------------------------------------------------------------
  // the needs each open counter serves: a zone given by counters shows the waits of the needs they serve now
  let counterNeeds = {};
  let lastSummary = null;
  function noteCounters(list) {
    (list || []).forEach((c) => { counterNeeds[c.id] = c.open && !c.paused ? (c.needs || []) : []; });
  }
  function needInZone(id) {
    if (zoneNeeds.length) return zoneNeeds.includes(id);
    if (zoneCounters.length) return zoneCounters.some((c) => (counterNeeds[c] || []).includes(id));
    return true;
  }

  // the newest call this display has drawn, in the box's time; null until its first snapshot
  let knownAt = null;

  function snapshot(snap) {
    counterNeeds = {};
    noteCounters(snap.counters);
    labels = {};
    (snap.site.counters || []).forEach((c) => { labels[c.id] = c.label; });
    const lang = data.lang;
    needNames = {};
    needOrder = (snap.site.needs || []).map((n) => n.id);
    (snap.site.needs || []).forEach((n) => { needNames[n.id] = n.names[lang] || n.names[snap.site.languages[0]] || n.id; });
    // a snapshot is the past: its calls are shown, not announced again, except the calls made while this
    // display was away (a Wi-Fi blip, the box restarting) whose visitor has not come to the counter yet: those
    // are announced now, oldest first. A display that has just started announces nothing old.
    pending = [];
    const calls = (snap.calls || []).filter((c) => inZone(c.need, c.counter)).reverse();  // newest first
    const seen = new Set();
    const fromSnap = [];
    for (const c of calls) { if (!seen.has(c.ticket)) { seen.add(c.ticket); fromSnap.push(c); } }
    const awaited = new Set((snap.tickets || []).filter((t) => t.state === "called").map((t) => t.id + "@" + t.counter));
    const missed = knownAt === null ? [] : fromSnap.filter((c) => c.at > knownAt && awaited.has(c.ticket + "@" + c.counter));
    for (const c of fromSnap) knownAt = Math.max(knownAt === null ? c.at : knownAt, c.at);
    if (knownAt === null) knownAt = 0;
    if (!showing) {
      lastCalls = fromSnap.filter((c) => !missed.includes(c));
      if (lastCalls.length) setCurrent(lastCalls[0], false); else clearCurrent();
    }
    renderLast();
    root.dataset.seq = snap.seq;
    missed.reverse().forEach((c) => enqueue({ ...c, missed: true }));
  }

  function event(ev) {
    if (ev.counters) { noteCounters(ev.counters); if (lastSummary) summary(lastSummary); }
    if (ev.type === "ticket_called" || ev.type === "ticket_recalled") {
      const t = ev.tickets && ev.tickets[0];
      if (!t) return;
      const counter = ev.data.counter || t.counter;
      if (!inZone(t.need, counter)) return;
      knownAt = Math.max(knownAt || 0, ev.at);
      enqueue({ ticket: t.id, number: t.number, counter, lang: t.lang, need: t.need,
                at: ev.at, recall: ev.type === "ticket_recalled" });
    } else if (ev.type === "day_closed") {
      resetQueue();
      lastCalls = []; renderLast(); clearCurrent();
    }
  }

  function summary(s) {
    lastSummary = s;
    const ul = $("waits");
    const rank = (id) => { const i = needOrder.indexOf(id); return i < 0 ? needOrder.length : i; };
    const items = Object.entries(s.needs || {})
      .sort(([a], [b]) => rank(a) - rank(b))  // the site's order, however the JSON was sorted
      .filter(([id, v]) => needInZone(id) && (v.waiting > 0 || v.counters > 0));
    ul.replaceChildren(...items.map(([id, v]) => {
      const li = document.createElement("li");
      const mins = v.estimate_s == null ? "–" : "~" + Math.max(1, Math.round(v.estimate_s / 60)) + " min";
      const name = document.createElement("span"); name.className = "need"; name.textContent = needNames[id] || id;
      const figs = document.createElement("span"); figs.className = "figs";
      figs.textContent = v.waiting + " " + data.waitingWord + " · " + mins;
      li.dataset.need = id;
      li.append(name, figs);
      return li;
    }));
  }

  function status(s) {
    root.dataset.state = s;
    $("offline").hidden = s === "online";
    if (s === "offline") resetQueue();    // calls queued before the outage are stale: the snapshot replaces them
  }

  // -- clock and today's opening hours, in the site's time zone ---------------------------------------------
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  function clock() {
    const d = new Date();
    let opts = { hour: "2-digit", minute: "2-digit", timeZone: tz };
    let day;
    try {
      $("clock").textContent = d.toLocaleTimeString(data.lang, opts);
      day = WEEKDAYS.indexOf(new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone: tz }).format(d));
    } catch (e) {  // an unknown time zone in this browser: the device's own
      opts = { hour: "2-digit", minute: "2-digit" };
      $("clock").textContent = d.toLocaleTimeString(data.lang, opts);
      day = (d.getDay() + 6) % 7;
    }
    let text;
    if (data.alwaysOpen === "true") text = data.openAllDay;
    else if (hours[String(day)] && hours[String(day)].length) text = data.openToday + " " + hours[String(day)].join(", ");
    else text = data.closedToday;
    $("hours").textContent = text;
  }
  clock(); setInterval(clock, 10000);
  window.contactpointLive = Live("/display", { snapshot, event, summary, status }, data.stateUrl);
})();
