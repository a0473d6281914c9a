// The kiosk's behaviour: display choices, read aloud, the code keypad, and the idle reset.
// Loaded in <head>: the visitor's display choices (kept in sessionStorage for this visitor only) apply before the
// first paint; everything else starts when the page is ready. No time pressure anywhere but the idle reset, which
// warns first and waits for "Yes".
"use strict";
(function () {
  const KEY = "kiosk-prefs";
  const PREFS = ["contrast", "large", "low"];
  const WARN_S = 20;  // the "Are you still there?" dialog waits this long for "Yes"

  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function save(p) {
    try { sessionStorage.setItem(KEY, JSON.stringify(p)); } catch (e) { /* private mode: choices last one page */ }
  }
  function reset() {
    try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
  }
  function apply(p) {
    const root = document.documentElement;
    for (const name of PREFS) root.classList.toggle("k-" + name, !!p[name]);
  }
  // a link with ?kiosk_reset or the start page reached by "Done"/"Start again" clears the last visitor's choices
  apply(load());

  function ready() {
    const frame = document.getElementById("k-frame");
    if (!frame) return;
    const home = frame.dataset.home;
    let prefs = load();

    // -- display choices ---------------------------------------------------------------------------------
    for (const btn of document.querySelectorAll("[data-pref]")) {
      const name = btn.dataset.pref;
      btn.setAttribute("aria-pressed", prefs[name] ? "true" : "false");
      btn.addEventListener("click", () => {
        prefs = load();
        prefs[name] = !prefs[name];
        save(prefs);
        apply(prefs);
        btn.setAttribute("aria-pressed", prefs[name] ? "true" : "false");
      });
    }
    // the visitor is done: the next one starts with the default display
    for (const link of document.querySelectorAll("[data-reset]")) link.addEventListener("click", reset);

    // -- one tap, one ticket: a second tap (a double tap, a shaky hand, a scan and a tap) while the first is
    // on its way is ignored. The form is usable again when the page comes back from the history, or after
    // 10 s if the box never answered (the visitor can then try again).
    document.addEventListener("submit", (e) => {
      const form = e.target;
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
      setTimeout(() => { delete form.dataset.sent; form.removeAttribute("aria-busy"); }, 10000);
    });
    window.addEventListener("pageshow", () => {
      for (const form of document.forms) { delete form.dataset.sent; form.removeAttribute("aria-busy"); }
    });

    // -- read aloud: the box's offline voice, or the browser's speech if the box cannot ------------------
    let audio = null;
    function browserSpeak(text) {
      if (!("speechSynthesis" in window) || !text) return false;
      const u = new SpeechSynthesisUtterance(text);
      u.lang = document.documentElement.lang;
      window.speechSynthesis.cancel();
      window.speechSynthesis.speak(u);
      return true;
    }
    function stop() {
      if (audio) { audio.pause(); audio = null; }
      if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    }
    function readAloud(url, text) {
      stop();
      const readBtn = document.getElementById("k-read");
      if (readBtn) readBtn.dataset.state = "loading";
      const a = new Audio(url);
      audio = a;
      const fallback = () => {
        if (audio !== a) return;
        audio = null;
        if (readBtn) readBtn.dataset.state = browserSpeak(text) ? "browser" : "failed";
      };
      a.addEventListener("error", fallback);
      a.addEventListener("playing", () => { if (readBtn) readBtn.dataset.state = "playing"; });
      a.addEventListener("ended", () => { if (readBtn) readBtn.dataset.state = "done"; });
      const p = a.play();
      if (p && p.catch) p.catch(fallback);
    }
    const readBtn = document.getElementById("k-read");
    if (readBtn) {
      readBtn.addEventListener("click", () => {
        const text = (document.getElementById("k-speech-text") || {}).textContent || "";
        readAloud(frame.dataset.speechUrl, text.trim());
      });
    }

    // -- booking code: on-screen keypad, and a USB scanner typing the code + Enter into the focused field -----
    const code = document.getElementById("code");
    if (code) {
      const keep = () => { if (document.activeElement !== code && !document.querySelector("dialog[open]")) code.focus(); };
      code.focus();
      for (const key of document.querySelectorAll(".k-key")) {
        key.addEventListener("click", () => {
          if (key.dataset.key === "del") code.value = code.value.slice(0, -1);
          else if (code.value.length < 12) code.value += key.dataset.key;
          code.focus();  // a scan right after a tap still lands in the field
        });
      }
      // the scanner types wherever the focus is: bring it back to the field when nothing else needs it
      document.addEventListener("keydown", (e) => {
        if (e.target === code || e.ctrlKey || e.altKey || e.metaKey) return;
        if (e.key.length === 1 && /[A-Za-z0-9]/.test(e.key) && !(e.target instanceof HTMLInputElement)) {
          keep();
        }
      }, true);
    }

    // -- ticket screen: back to the start after a while (the ticket is printed; nothing is lost) ------------
    // When the printer failed, the screen is the visitor's only ticket: it stays three times as long (or
    // until "Done"), so they can note the number or scan the code.
    const ticketS = Number(frame.dataset.ticketS || 0);
    if (ticketS > 0) {
      const shownAt = Date.now();
      const leave = () => {
        const printerDown = document.querySelector(".k-printer-down");
        if (printerDown && Date.now() - shownAt < ticketS * 3000) { setTimeout(leave, 1000); return; }
        reset();
        location.href = home;
      };
      setTimeout(leave, ticketS * 1000);
      return;
    }

    // -- idle reset with a warning ------------------------------------------------------------------------
    const idleS = Number(frame.dataset.idleS || 90);
    const dialog = document.getElementById("k-idle");
    const onStart = frame.dataset.screen === "languages";
    let last = Date.now();
    let warnedAt = 0;
    const touch = () => {
      last = Date.now();
      if (warnedAt) { warnedAt = 0; if (dialog && dialog.open) dialog.close(); }
    };
    for (const ev of ["pointerdown", "keydown", "touchstart", "input", "wheel"]) {
      document.addEventListener(ev, touch, { capture: true, passive: true });
    }
    if (dialog) {
      document.getElementById("k-idle-yes").addEventListener("click", touch);
      dialog.addEventListener("cancel", (e) => { e.preventDefault(); touch(); });
    }
    const tick = setInterval(() => {
      const now = Date.now();
      if (onStart) {
        // the first screen has nothing to lose: quietly forget the last visitor's display choices
        if (now - last >= idleS * 1000 && Object.keys(load()).length) { reset(); apply({}); last = now; }
        return;
      }
      if (!warnedAt && now - last >= idleS * 1000) {
        warnedAt = now;
        stop();
        if (dialog && dialog.showModal) dialog.showModal();
      } else if (warnedAt && now - warnedAt >= WARN_S * 1000) {
        // leave once: a second assignment while the first navigation loads would abort it
        clearInterval(tick);
        reset();
        location.href = home;
      }
    }, 500);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
