// The display: shows each call one at a time, in order, for at least min_call_s and until its announcement
// has been spoken (chime, then the visitor's language, then the site's announcement languages); never two
// at once, never stale silently: while the box is unreachable, a "reconnecting" screen hides the calls.
// Every call is shown and announced once: a call queued when the connection drops stays queued, and after
// the resync every call of the snapshot not yet played that is still awaited (its ticket still called at that
// counter, or made within the last minute) joins the queue, in call order. Only a display that has just started
// announces nothing old.
"use strict";
(function () {
  const root = document.getElementById("display");
  const $ = (id) => document.getElementById(id);
  const data = root.dataset;
  const MIN_SHOW_MS = parseInt(data.minCallMs, 10) || 6000;
  const ANNOUNCE = data.announce === "true";
  const CHIME_URL = data.chimeUrl;
  const AUDIO_TIMEOUT_MS = 30000;       // one file never holds the queue longer than this
  const STALL_MS = 4000;                // nor a file that stopped moving (the box went away mid-file)
  const PLAYLIST_TIMEOUT_MS = 25000;
  // a call this recent (seconds) is announced after an outage even if its visitor seems to be at the counter
  // already (an agent who pressed "start" at once); read at each resync (the browser tests shorten it)
  const freshS = () => { const v = parseFloat(data.freshS); return Number.isFinite(v) ? v : 60; };
  const zoneNeeds = JSON.parse(data.zoneNeeds || "[]");
  const zoneCounters = JSON.parse(data.zoneCounters || "[]");
  const hours = JSON.parse(data.hours || "{}");
  const tz = data.tz || undefined;
  const counterWord = data.counterWord;
  const speaker = $("speaker");

  let labels = {};          // counter id -> label
  let needNames = {};       // need id -> name in the display's language
  let needOrder = [];       // need ids in the site file's order
  let pending = [];         // calls waiting to be shown, oldest first
  let current = null;       // the call whose turn on screen is running
  let showing = false;
  let online = false;       // the state is drawn and live: only then does the queue move on
  let started = false;      // the first snapshot is drawn
  let generation = 0;       // bumped when the queue is thrown away (day closed)
  let lastCalls = [];       // newest first
  let soundBlocked = false;
  let playingNow = false;   // an announcement's file is being played
  const played = new Set(); // calls (ticket@counter@at) whose turn on screen is over: never shown again
  let lastTickets = {};     // ticket id -> the ticket as the last snapshot or call showed it

  const keyOf = (c) => c.ticket + "@" + c.counter + "@" + c.at;

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
    // the tap itself unlocks sound for the page; a chime confirms it, unless a call is being announced now
    // (its sound is never replaced: the rest of its playlist still plays)
    if (playingNow) return;
    speaker.src = CHIME_URL;
    speaker.play().catch((e) => { if (e && e.name === "NotAllowedError") showSoundButton(); });
  });

  function playUrl(url, call, gen) {
    return new Promise((resolve) => {
      const entry = { ticket: call.ticket, number: call.number, url, start: Date.now(), end: null, ok: false, why: "" };
      audioLog.push(entry);
      let done = false;
      let timer = null;
      let watch = null;
      const finish = (ok, why) => {
        if (done) return;
        done = true;
        playingNow = false;
        clearTimeout(timer);
        clearInterval(watch);
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
      let position = -1, moved = Date.now();
      watch = setInterval(() => {
        if (speaker.currentTime !== position) { position = speaker.currentTime; moved = Date.now(); }
        else if (Date.now() - moved > STALL_MS) { speaker.pause(); finish(false, "stalled"); }
      }, 500);
      playingNow = true;
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

  // the audio of the call on screen: its counter and whether it is a recall, as the box logged that call
  // (not wherever the ticket is now: it may have been transferred or called again elsewhere since)
  async function playlist(call) {
    const url = data.announcementUrl.replace("TICKET", encodeURIComponent(call.ticket)) +
      "?counter=" + encodeURIComponent(call.counter) + "&recall=" + (call.recall ? "1" : "0");
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), PLAYLIST_TIMEOUT_MS);
    try {
      const r = await fetch(url, { cache: "no-store", signal: ctl.signal });
      if (!r.ok) return r.status === 404 ? [] : null;   // 404: not a call of today (any more): nothing to say
      const body = await r.json();
      return body.urls || [];
    } catch (e) {
      return null;                                        // the box did not answer
    } finally {
      clearTimeout(timer);
    }
  }

  // the chime starts at once while the box prepares (or finds in its cache) the spoken part.
  // Resolves true when every sound played (or there was nothing to play), false if one failed.
  async function announce(call, gen) {
    if (!ANNOUNCE || soundBlocked) return true;
    const list = playlist(call);
    let ok = await playUrl(CHIME_URL, call, gen);
    const urls = await list;
    if (urls === null) return false;
    for (const url of urls) {
      if (url === CHIME_URL) continue;
      if (gen !== generation) return false;
      if (soundBlocked) return true;
      ok = (await playUrl(url, call, gen)) && ok;
    }
    return ok || soundBlocked;
  }

  // -- the queue of calls ----------------------------------------------------------------------------------
  async function showNext() {
    if (showing || !online || !pending.length) return;   // while offline the queue waits: nobody would see it
    showing = true;
    const gen = generation;
    const call = pending.shift();
    current = call;
    call.interrupted = false;
    setCurrent(call, true);
    lastCalls = [call].concat(lastCalls.filter((c) => c.ticket !== call.ticket)).slice(0, 10);
    renderLast();
    const entry = { ticket: call.ticket, number: call.number, counter: call.counter, recall: call.recall, shown: Date.now(), done: null };
    callLog.push(entry);
    document.dispatchEvent(new CustomEvent("contactpoint:call", { detail: call }));
    const minTime = new Promise((resolve) => setTimeout(resolve, MIN_SHOW_MS));
    const [, heard] = await Promise.all([minTime, announce(call, gen).catch(() => false)]);
    entry.done = Date.now();
    if (gen !== generation) return;   // the queue was reset meanwhile (day closed)
    current = null;
    showing = false;
    if (call.interrupted && !heard && !call.again && (!online || stillCalled(call))) {
      // the box went away during its turn and its sound did not all play: once more, first, if its visitor is
      // still called there (checked now if the display is back, else by the resync)
      call.again = true;
      pending.unshift(call);
    } else {
      played.add(keyOf(call));
    }
    showNext();
  }

  function stillCalled(c) {
    const t = lastTickets[c.ticket];
    return !!t && t.state === "called" && t.counter === c.counter;
  }

  function queued(c) {
    return (current && keyOf(current) === keyOf(c)) || pending.some((p) => keyOf(p) === keyOf(c));
  }

  // add a call to the queue once; a call of a ticket already waiting to be shown at that counter (a recall
  // of it, say) is the same announcement: it counts as played
  function enqueue(call) {
    const key = keyOf(call);
    if (played.has(key) || queued(call)) return;
    if (pending.some((c) => c.ticket === call.ticket && c.counter === call.counter)) { played.add(key); return; }
    pending.push(call);
    pending.sort((a, b) => a.at - b.at);
    showNext();
  }

  function resetQueue() {
    generation += 1;
    pending = [];
    current = null;
    showing = false;
    played.clear();
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

  function snapshot(snap) {
    counterNeeds = {};
    noteCounters(snap.counters);
    labels = {};
    (snap.site.counters || []).forEach((c) => { labels[c.id] = c.label; });
    const lang = data.lang;
    needNames = {};
    needOrder = (snap.site.needs || []).map((n) => n.id);
    (snap.site.needs || []).forEach((n) => { needNames[n.id] = n.names[lang] || n.names[snap.site.languages[0]] || n.id; });
    const calls = (snap.calls || []).filter((c) => inZone(c.need, c.counter));  // oldest first
    lastTickets = {};
    (snap.tickets || []).forEach((t) => { lastTickets[t.id] = t; });
    if (!started) {
      // a display that has just started shows the past but announces none of it
      started = true;
      calls.forEach((c) => played.add(keyOf(c)));
    } else {
      // back after an outage (a Wi-Fi blip, the box restarting): every call not played yet is announced if the
      // visitor is still awaited at that counter, or if it is recent; the others only join the last calls
      const now = snap.summary && snap.summary.at;
      const fresh = freshS();
      const awaited = (c) => stillCalled(c) || (now != null && now - c.at <= fresh);
      // a call already shown once (its sound cut by the outage) comes again only if its visitor is still called
      pending = pending.filter((c) => {
        if (c.again ? stillCalled(c) : awaited(c)) return true;
        played.add(keyOf(c));
        return false;
      });
      for (const c of calls) {
        if (played.has(keyOf(c)) || queued(c)) continue;
        if (awaited(c)) enqueue({ ...c, missed: true }); else played.add(keyOf(c));
      }
    }
    // the last calls: what the snapshot says was called, newest first, without what is still to be shown
    const seen = new Set();
    const last = [];
    if (current) { seen.add(current.ticket); last.push(current); }
    for (const c of calls.slice().reverse()) {
      if (seen.has(c.ticket) || pending.some((p) => p.ticket === c.ticket)) continue;
      seen.add(c.ticket);
      last.push(c);
    }
    lastCalls = last.slice(0, 10);
    if (!showing) {
      if (lastCalls.length) setCurrent(lastCalls[0], false); else clearCurrent();
    }
    renderLast();
    root.dataset.seq = snap.seq;
  }

  function event(ev) {
    if (ev.counters) { noteCounters(ev.counters); if (lastSummary) summary(lastSummary); }
    if (ev.type === "ticket_called" || ev.type === "ticket_recalled") {
      const t = ev.tickets && ev.tickets[0];
      if (!t) return;
      const counter = ev.data.counter || t.counter;
      lastTickets[t.id] = t;
      if (!inZone(t.need, counter)) return;
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
      const mins = v.estimate_s == null ? "–"  // "~4 min", in the page's language ("~4 dk", "~4 دقيقة")
        : data.minutesWord.replace("{minutes}", "~" + Math.max(1, Math.round(v.estimate_s / 60)));
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
    online = s === "online";
    if (!online && current) current.interrupted = true;
    // the queue is kept while offline (its calls were made): the resync adds what was missed and drops what
    // is no longer awaited, then the queue moves on
    if (online) showNext();
  }

  // -- clock and today's opening hours, in the site's time zone ---------------------------------------------
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  // English day first and 24-hour, as in Brussels (en-GB), like the printed tickets (contactpoint.i18n); every
  // language 24-hour (Arabic's own clock is 12-hour, "08:32 ص")
  const timeLang = data.lang === "en" ? "en-GB" : data.lang;
  function clock() {
    const d = new Date();
    let opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz };
    let day;
    try {
      $("clock").textContent = d.toLocaleTimeString(timeLang, opts);
      day = WEEKDAYS.indexOf(new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone: tz }).format(d));
    } catch (e) {  // an unknown time zone in this browser: the device's own
      opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      $("clock").textContent = d.toLocaleTimeString(timeLang, opts);
      day = (d.getDay() + 6) % 7;
    }
    let text;
    if (data.alwaysOpen === "true") text = data.openAllDay;
    else if (hours[String(day)] && hours[String(day)].length) text = data.openToday + " " + hours[String(day)].join(", ");
    else text = data.closedToday;
    $("hours").textContent = text;
  }
  clock(); setInterval(clock, 10000);
  // "Reconnecting…" within 4.5 s of the box vanishing: an "alive?" every 1.5 s, 3 s to answer (docs/display.md)
  window.contactpointLive = Live("/display", { snapshot, event, summary, status }, data.stateUrl,
                                 { heartbeatMs: 1500, heartbeatTimeoutMs: 3000 });
})();
