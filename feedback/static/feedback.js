// The exit tablet: one tap on a face is one answer. The visitor is thanked only once the box answered 2xx
// (the tap is written, or it was the same tablet's second tap within the rate rule's window, counted already),
// so a tap the visitor was thanked for is never lost. When the box does not answer, the page says so plainly,
// checks /feedback/state every few seconds and takes taps again as soon as the box is back: no reload needed.
// The tablet's id is a random one kept in localStorage (the rate rule counts per device).
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("fb-config").textContent);
  const frame = document.getElementById("fb");
  const $ = (id) => document.getElementById(id);
  const KEY = "contactpoint.feedback.device";
  let device = null;
  try { device = localStorage.getItem(KEY); } catch (e) { device = null; }
  if (!device || !/^[A-Za-z0-9_-]{1,64}$/.test(device)) {
    const bytes = new Uint8Array(9);
    crypto.getRandomValues(bytes);
    device = "tablet-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try { localStorage.setItem(KEY, device); } catch (e) { /* private mode: an id for this page's life */ }
  }
  frame.dataset.device = device;

  let busy = false;
  let back = null;
  let probing = null;

  function showQuestion() {
    clearTimeout(back);
    if (cfg.lang && location.pathname !== cfg.home && cfg.home) { location.assign(cfg.home); return; }
    frame.dataset.screen = "question";
    $("fb-thanks").hidden = true;
    $("fb-question").hidden = false;
  }

  function thank() {
    stopSpeech();
    frame.dataset.screen = "thanks";
    $("fb-question").hidden = true;
    $("fb-error").hidden = true;
    $("fb-thanks").hidden = false;
    back = setTimeout(showQuestion, cfg.returnMs);
  }

  function fail(text, offline) {
    const el = $("fb-error");
    el.textContent = text;
    el.hidden = false;
    if (offline) {
      frame.dataset.conn = "offline";
      probe();
    }
  }

  function probe() {  // until the box answers again
    if (probing) return;
    probing = setInterval(async () => {
      try {
        const r = await fetch(cfg.stateUrl, { cache: "no-store" });
        if (r.status === 403) { location.reload(); return; }  // revoked while away: its pairing code
        if (!r.ok) return;
        clearInterval(probing);
        probing = null;
        frame.dataset.conn = "online";
        $("fb-error").hidden = true;
      } catch (e) { /* still away */ }
    }, 3000);
  }

  async function tap(score) {
    if (busy || frame.dataset.screen !== "question") return;  // one answer per screen
    busy = true;
    frame.dataset.busy = "true";
    try {
      const r = await fetch(cfg.tapUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ score: score, lang: cfg.lang, device: device }),
      });
      if (r.ok) { frame.dataset.conn = "online"; thank(); return; }
      let text = $("fb-msg-failed").textContent;
      if (r.status === 403) { location.reload(); return; }  // revoked: the page shows its new pairing code
      try { const body = await r.json(); if (body && body.message) text = body.message; } catch (e) { /* none */ }
      fail(text, r.status >= 500);
    } catch (e) {
      fail($("fb-msg-offline").textContent, true);
    } finally {
      busy = false;
      delete frame.dataset.busy;
    }
  }

  for (const b of document.querySelectorAll(".face")) {
    b.addEventListener("click", () => tap(Number(b.dataset.score)));
  }

  // -- read aloud: the box's offline voice, or the browser's speech if the box cannot (like the kiosk) --------
  let audio = null;
  function stopSpeech() {
    if (audio) { audio.pause(); audio = null; }
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
  }
  function browserSpeak(text) {
    if (!("speechSynthesis" in window) || !text) return;
    const u = new SpeechSynthesisUtterance(text);
    u.lang = cfg.lang;
    window.speechSynthesis.speak(u);
  }
  function readAloud() {
    stopSpeech();
    const thanks = frame.dataset.screen === "thanks";
    const url = thanks ? frame.dataset.thanksSpeechUrl : frame.dataset.speechUrl;
    const text = $(thanks ? "fb-thanks-speech" : "fb-speech-text").textContent.trim();
    const a = new Audio(url);
    audio = a;
    let failed = false;
    const fallback = () => { if (!failed && audio === a) { failed = true; audio = null; browserSpeak(text); } };
    a.addEventListener("error", fallback);
    const p = a.play();
    if (p && p.catch) p.catch(fallback);
  }
  $("fb-read").addEventListener("click", readAloud);
})();
