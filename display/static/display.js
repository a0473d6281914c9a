// The display: every call is on screen the moment it arrives; its announcement (chime, then the visitor's
// language, then the site's announcement languages) comes in turn, one at a time, by the queue rule of
// announce_queue.js: a call whose ticket is no longer called is dropped before it plays, only the latest recall
// of a ticket plays, and under a backlog the box says less and says it quicker. The call being announced is the
// large one; the others are listed, newest first, the ones still to be announced marked. Never stale silently:
// while the box is unreachable, a "reconnecting" screen hides the calls. A call queued when the connection drops
// stays queued, and after the resync every call of the snapshot not yet played whose ticket is still called at
// that counter joins the queue, in call order. A display that has just started announces nothing old.
"use strict";
(function () {
  const Q = window.AnnounceQueue;
  const root = document.getElementById("display");
  const $ = (id) => document.getElementById(id);
  const data = root.dataset;
  const NEW_MS = parseInt(data.minCallMs, 10) || 6000;  // a call is marked new in the list this long
  const ANNOUNCE = data.announce === "true";
  const CHIME_URL = data.chimeUrl;
  const AUDIO_TIMEOUT_MS = 30000;       // one file never holds the queue longer than this
  const STALL_MS = 4000;                // nor a file that stopped moving (the box went away mid-file)
  const PLAYLIST_TIMEOUT_MS = 25000;
  const zoneNeeds = JSON.parse(data.zoneNeeds || "[]");
  const zoneCounters = JSON.parse(data.zoneCounters || "[]");
  const counterWord = data.counterWord;
  const speaker = $("speaker");
  speaker.preservesPitch = true;        // quicker speech under a backlog keeps its voice

  let labels = {};          // counter id -> label
  let needNames = {};       // need id -> name in the display's language
  let needOrder = [];       // need ids in the site file's order
  let queue = [];           // calls waiting for their announcement, oldest first
  let current = null;       // the call being announced
  let online = false;       // the state is drawn and live: only then does the queue move on
  let started = false;      // the first snapshot is drawn
  let generation = 0;       // bumped when the queue is thrown away (day closed)
  let recent = [];          // the calls on screen, newest first, one per ticket
  let soundBlocked = false;
  let playingNow = null;    // the audio log entry of the file being played
  let cutNow = () => {};    // stops that file (a phrase in another language when a backlog builds)
  let shownKey = null;      // the call in the large panel
  const played = new Set(); // calls whose announcement is over (played or dropped): never queued again
  let lastTickets = {};     // ticket id -> the ticket as the last snapshot or event showed it
  const keyOf = Q.keyOf;

  // what happened, for people debugging a site and for the browser tests and the bench
  const callLog = window.contactpointCallLog = [];    // each call: shown, announcement start, done, dropped
  const audioLog = window.contactpointAudioLog = [];  // each sound: url, start, playing, end, why
  const logOf = (c) => callLog.find((e) => e.key === keyOf(c));

  function inZone(need, counter) {
    return (!zoneNeeds.length || zoneNeeds.includes(need)) && (!zoneCounters.length || zoneCounters.includes(counter));
  }

  // -- the screen: the call being announced (else the newest) large, the others listed -----------------------
  function render() {
    const big = current || recent[0] || null;
    if (big) {
      $("current-number").textContent = big.number;
      $("current-counter").textContent = labels[big.counter] || big.counter;
      $("current-call").hidden = false;
      $("idle").hidden = true;
      root.dataset.current = big.number + "@" + big.counter;
      const key = keyOf(big);
      if (key !== shownKey && big.live) {
        const box = $("current-call");
        box.classList.remove("flash"); void box.offsetWidth; box.classList.add("flash");
      }
      shownKey = key;
    } else {
      $("current-call").hidden = true;
      $("idle").hidden = false;
      delete root.dataset.current;
      shownKey = null;
    }
    const now = Date.now();
    const ahead = Q.take(queue, lastTickets, current);
    const waiting = new Set((ahead.next ? [ahead.next] : []).concat(ahead.rest).map(keyOf));
    const rows = recent.filter((c) => !big || c.ticket !== big.ticket).slice(0, 6);
    $("last-calls").replaceChildren(...rows.map((c) => {
      const li = document.createElement("li");
      const n = document.createElement("span"); n.className = "num"; n.textContent = c.number;
      const k = document.createElement("span"); k.className = "ctr"; k.textContent = counterWord + " " + (labels[c.counter] || c.counter);
      li.append(n, k);
      if (waiting.has(keyOf(c))) li.dataset.waiting = "true";   // still to be announced
      if (c.shownAt && now - c.shownAt < NEW_MS) li.classList.add("d-new");
      return li;
    }));
  }
  setInterval(() => { if (document.querySelector("#last-calls .d-new")) render(); }, 1000);

  // a call reaches the screen at once (the newest first, each ticket once)
  function show(call) {
    call.shownAt = Date.now();
    recent = [call].concat(recent.filter((c) => c.ticket !== call.ticket)).slice(0, 10);
    render();
    callLog.push({ key: keyOf(call), ticket: call.ticket, number: call.number, counter: call.counter,
                   recall: !!call.recall, missed: !!call.missed, shown: Date.now(), start: null, done: null,
                   dropped: null });
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

  // how much is said now: by the calls waiting behind the one being announced (what the rule would drop aside)
  const pace = () => Q.level(Q.backlog(queue, lastTickets, current));

  // index: which phrase of the call this is (0: the visitor's language; -1: the chime)
  function playUrl(url, call, gen, rate, index) {
    return new Promise((resolve) => {
      const entry = { ticket: call.ticket, number: call.number, recall: !!call.recall, url, rate, index, start: Date.now(), playing: null,
                      end: null, ok: false, why: "" };
      audioLog.push(entry);
      let done = false;
      let timer = null;
      let watch = null;
      const finish = (ok, why) => {
        if (done) return;
        done = true;
        playingNow = null;
        cutNow = () => {};
        clearTimeout(timer);
        clearInterval(watch);
        speaker.removeEventListener("ended", onEnded);
        speaker.removeEventListener("error", onError);
        speaker.removeEventListener("playing", onPlaying);
        entry.end = Date.now(); entry.ok = ok; entry.why = why;
        resolve(ok);
      };
      const onEnded = () => finish(true, "ended");
      const onError = () => finish(false, "error");
      const onPlaying = () => { if (entry.playing === null) entry.playing = Date.now(); };
      if (gen !== generation) { finish(false, "cancelled"); return; }
      speaker.addEventListener("ended", onEnded);
      speaker.addEventListener("error", onError);
      speaker.addEventListener("playing", onPlaying);
      timer = setTimeout(() => { speaker.pause(); finish(false, "timeout"); }, AUDIO_TIMEOUT_MS);
      let position = -1, moved = Date.now();
      watch = setInterval(() => {
        if (speaker.currentTime !== position) { position = speaker.currentTime; moved = Date.now(); }
        else if (Date.now() - moved > STALL_MS) { speaker.pause(); finish(false, "stalled"); }
      }, 500);
      playingNow = entry;
      cutNow = () => { speaker.pause(); finish(true, "cut"); };
      speaker.src = url;
      speaker.defaultPlaybackRate = rate;
      speaker.playbackRate = rate;
      const p = speaker.play();
      if (p && p.catch) {
        p.catch((e) => {
          if (e && e.name === "NotAllowedError") showSoundButton();  // autoplay blocked: calls still show
          finish(false, (e && e.name) || "play failed");
        });
      }
    });
  }

  // a call joined the queue while a phrase plays: a phrase in one of the site's other languages stops (the
  // visitor's own was said); the visitor's language speeds up to the pace of the new backlog (pitch kept)
  function hurry() {
    if (!playingNow || playingNow.index < 0) return;
    if (playingNow.index >= pace().languages) { cutNow(); return; }
    const rate = pace().rate;
    if (rate > speaker.playbackRate) { speaker.playbackRate = rate; playingNow.rate = rate; }
  }

  // the audio of the call: its counter and whether it is a recall, as the box logged that call
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

  // one announcement, as the queue rule plans it when it starts; before each phrase the rule is asked again
  // (the ticket may have been marked absent meanwhile; a backlog may have built: then the site's other
  // languages are left out). The chime starts at once while the box prepares (or finds) the spoken part.
  // Resolves true when every sound meant to play played (or there was nothing to play), false if one failed.
  async function announce(call, plan, gen) {
    if (!ANNOUNCE || soundBlocked) return true;
    const list = call.audio || playlist(call);
    let ok = plan.chime ? await playUrl(CHIME_URL, call, gen, 1, -1) : true;
    let urls = await list;
    if (urls === null && call.audio) urls = await playlist(call);  // asked early, the box did not answer then
    if (urls === null) return false;
    const spoken = urls.filter((u) => u !== CHIME_URL);
    for (let i = 0; i < spoken.length; i++) {
      if (gen !== generation) return false;
      if (soundBlocked) return true;
      if (!Q.goOn(call, i, lastTickets, queue)) break;
      ok = (await playUrl(spoken[i], call, gen, pace().rate, i)) && ok;
    }
    return ok || soundBlocked;
  }

  // -- the queue of announcements ------------------------------------------------------------------------
  function drop(calls, why) {
    for (const c of calls) {
      played.add(keyOf(c));
      const e = logOf(c);
      if (e && e.done === null) { e.done = Date.now(); e.dropped = why; }
    }
  }

  // chained: called as the previous announcement ends, with calls waiting (no silence for a chime to break)
  async function announceNext(chained) {
    if (current || !online) return;   // while offline the queue waits: nobody would see the screen
    const { next, dropped, rest, plan } = Q.take(queue, lastTickets, null, chained);
    drop(dropped, "not called");
    queue = rest;
    if (!next) { render(); return; }
    const gen = generation;
    current = next;
    next.interrupted = false;
    render();
    const entry = logOf(next);
    if (entry) { entry.start = Date.now(); entry.plan = { chime: plan.chime, languages: plan.languages, rate: plan.rate }; }
    const heard = await announce(next, plan, gen).catch(() => false);
    if (entry) entry.done = Date.now();
    if (gen !== generation) return;   // the queue was reset meanwhile (day closed)
    current = null;
    if (next.interrupted && !heard && !next.again && (!online || Q.stillCalled(next, lastTickets))) {
      // the box went away during its turn and its sound did not all play: once more, first, if its visitor is
      // still called there (checked now if the display is back, else by the resync)
      next.again = true;
      queue.unshift(next);
      if (entry) entry.done = null;
    } else {
      played.add(keyOf(next));
    }
    render();
    announceNext(true);
  }

  const queued = (c) => (current && keyOf(current) === keyOf(c)) || queue.some((p) => keyOf(p) === keyOf(c));

  // a new call: on screen now, its announcement queued (once)
  function arrive(call) {
    if (played.has(keyOf(call)) || queued(call)) return;
    call.live = true;
    if (ANNOUNCE) {
      queue = Q.enqueue(queue, call, played);
      // its playlist is asked for at once: the box renders it meanwhile, and no phrase waits for the network
      call.audio = playlist(call);
    }
    show(call);
    if (!ANNOUNCE) { drop([call], "announcements off"); return; }
    hurry();
    announceNext();
  }

  function resetQueue() {
    generation += 1;
    drop(queue, "day closed");
    queue = [];
    current = null;
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
    siteSettings(snap.site, lang);
    const calls = (snap.calls || []).filter((c) => inZone(c.need, c.counter));  // oldest first
    lastTickets = {};
    (snap.tickets || []).forEach((t) => { lastTickets[t.id] = t; });
    if (!started) {
      // a display that has just started shows the past but announces none of it
      started = true;
      calls.forEach((c) => played.add(keyOf(c)));
    } else {
      // back after an outage (a Wi-Fi blip, the box restarting): every call not played yet is announced if its
      // ticket is still called at that counter (the queue rule drops the others); they are all shown
      for (const c of calls) {
        if (played.has(keyOf(c)) || queued(c)) continue;
        if (Q.stillCalled(c, lastTickets)) arrive({ ...c, missed: true }); else played.add(keyOf(c));
      }
      const { dropped, next, rest } = Q.take(queue, lastTickets, current);
      drop(dropped, "not called");
      queue = next ? [next].concat(rest) : [];
    }
    // the screen: what the snapshot says was called, newest first, each ticket once, with the calls of this
    // page's queue and the one being announced
    const seen = new Set();
    const list = [];
    const mine = new Map(recent.map((c) => [keyOf(c), c]));
    for (const c of (current ? [current] : []).concat(queue.slice().reverse(), calls.slice().reverse())) {
      if (seen.has(c.ticket)) continue;
      seen.add(c.ticket);
      list.push(mine.get(keyOf(c)) || c);
    }
    list.sort((a, b) => b.at - a.at);
    recent = list.slice(0, 10);
    render();
    root.dataset.seq = snap.seq;
  }

  // the settings a manager changed in the browser (docs/settings.md): the message and the hours, from the snapshot
  function siteSettings(site, lang) {
    const msg = $("site-message");
    const messages = site.message || {};
    const text = messages[lang] || messages[site.default_language] || "";
    if (msg) { msg.textContent = text; msg.hidden = !text; }
    if ($("site-name") && site.name) $("site-name").textContent = site.name;
    if (site.hours) data.hours = JSON.stringify(site.hours);
    if (typeof site.always_open === "boolean") data.alwaysOpen = String(site.always_open);
    if (window.displayClock) window.displayClock();
  }

  const CALLS = ["ticket_called", "ticket_recalled"];
  function event(ev) {
    if (ev.counters) { noteCounters(ev.counters); if (lastSummary) summary(lastSummary); }
    (ev.tickets || []).forEach((t) => { lastTickets[t.id] = t; });  // absent, finished, moved: no longer called
    // the call being announced is no longer called (marked absent, at the counter): its sound stops now
    if (current && !Q.stillCalled(current, lastTickets)) cutNow();
    if (CALLS.includes(ev.type)) {
      const t = ev.tickets && ev.tickets[0];
      if (!t) return;
      const counter = ev.data.counter || t.counter;
      if (!inZone(t.need, counter)) return;
      arrive({ ticket: t.id, number: t.number, counter, lang: t.lang, need: t.need,
               at: ev.at, recall: ev.type === "ticket_recalled" });
    } else if (ev.type === "settings_changed") {
      window.contactpointLive.resync();  // names, labels, the message, the hours: drawn from a fresh snapshot
    } else if (ev.type === "day_closed") {
      resetQueue();
      recent = []; render();
    } else if (ev.tickets && ev.tickets.length) {
      render();  // a call of the list may no longer be awaited: its mark goes
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
    if (online) announceNext();
  }

  // "Reconnecting…" within 4.5 s of the box vanishing: an "alive?" every 1.5 s, 3 s to answer (docs/display.md)
  window.contactpointLive = Live("/display", { snapshot, event, summary, status }, data.stateUrl,
                                 { heartbeatMs: 1500, heartbeatTimeoutMs: 3000 });
})();
