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
    // the ticket screen: the focus starts on the number (a keyboard or switch user, a screen reader, lands on
    // what they came for, not on the page body)
    const number = document.getElementById("ticket-number");
    if (number && frame.dataset.screen === "ticket") number.focus({ preventScroll: true });
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
    // One file per screen; the first screen has a playlist instead: each language's own name said in its own
    // voice (#k-speech-parts), so a visitor who cannot read hears their language.
    let audio = null;
    let playing = 0;  // which reading is current: a new tap stops the one before
    const readBtn = document.getElementById("k-read");
    const setState = (state) => { if (readBtn) readBtn.dataset.state = state; };
    function browserSpeak(parts) {
      if (!("speechSynthesis" in window) || !parts.length) return false;
      window.speechSynthesis.cancel();
      for (const part of parts) {
        if (!part.text) continue;
        const u = new SpeechSynthesisUtterance(part.text);
        u.lang = part.lang || document.documentElement.lang;
        window.speechSynthesis.speak(u);
      }
      return true;
    }
    function stop() {
      playing += 1;
      if (audio) { audio.pause(); audio = null; }
      if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    }
    function readAloud(parts) {
      stop();
      const run = playing;
      setState("loading");
      const play = (i) => {
        if (run !== playing) return;
        if (i >= parts.length) { audio = null; setState("done"); return; }
        const a = new Audio(parts[i].url);
        audio = a;
        let failed = false;
        const fallback = () => {  // the box cannot speak: the browser says what is left, each in its language
          if (failed || run !== playing) return;
          failed = true;
          audio = null;
          setState(browserSpeak(parts.slice(i)) ? "browser" : "failed");
        };
        a.addEventListener("error", fallback);
        a.addEventListener("playing", () => { if (run === playing) setState("playing"); });
        a.addEventListener("ended", () => play(i + 1));
        const p = a.play();
        if (p && p.catch) p.catch(fallback);
      };
      play(0);
    }
    function screenParts() {
      const list = document.querySelectorAll("[data-speech-part]");
      if (list.length) {
        return [...list].map((el) => ({ url: el.dataset.speechPart, text: el.textContent.trim(), lang: el.lang }));
      }
      const text = (document.getElementById("k-speech-text") || {}).textContent || "";
      return [{ url: frame.dataset.speechUrl, text: text.trim(), lang: document.documentElement.lang }];
    }
    if (readBtn) readBtn.addEventListener("click", () => readAloud(screenParts()));

    // -- booking codes from a USB scanner ------------------------------------------------------------------
    // A scanner is a keyboard that types the code (or a URL holding it) and Enter. It sends the key positions of
    // a US keyboard; on a box with another keymap (Belgian AZERTY: digits come out as &é"'(, A/Q and Z/W swapped)
    // the characters are wrong, so a scan is rebuilt from each key's position (KeyboardEvent.code) whenever the
    // character the box made (KeyboardEvent.key) is not the US one. The on-screen keypad is clicks, not keys:
    // its input stays as it is.
    const US = { Minus: "-_", Equal: "=+", BracketLeft: "[{", BracketRight: "]}", Backslash: "\\|",
      Semicolon: ";:", Quote: "'\"", Backquote: "`~", Comma: ",<", Period: ".>", Slash: "/?", Space: "  ",
      NumpadDivide: "//", NumpadMultiply: "**", NumpadSubtract: "--", NumpadAdd: "++", NumpadDecimal: ".." };
    const SHIFTED_DIGITS = ")!@#$%^&*(";
    function usChar(e) {
      const c = e.code || "";
      let pair = null;
      if (/^Key[A-Z]$/.test(c)) pair = c[3].toLowerCase() + c[3];
      else if (/^Digit[0-9]$/.test(c)) pair = c[5] + SHIFTED_DIGITS[Number(c[5])];
      else if (/^Numpad[0-9]$/.test(c)) pair = c[6] + c[6];
      else if (US[c]) pair = US[c];
      if (!pair) return e.key && e.key.length === 1 ? e.key : null;  // no position known: the character itself
      if (e.key && e.key.length === 1 && pair.includes(e.key)) return e.key;  // a US-like keymap: as typed
      return pair[e.shiftKey ? 1 : 0];
    }
    const scanKey = (e) => !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing;

    const code = document.getElementById("code");
    if (code) {
      code.focus();
      for (const key of document.querySelectorAll(".k-key")) {
        key.addEventListener("click", () => {
          if (key.dataset.key === "del") code.value = code.value.slice(0, -1);
          else if (code.value.length < 12) code.value += key.dataset.key;
          code.focus();  // a scan right after a tap still lands in the field
        });
      }
      // the scanner types wherever the focus is: its characters go to the code field, rebuilt from positions
      document.addEventListener("keydown", (e) => {
        if (!scanKey(e) || document.querySelector("dialog[open]")) return;
        if (e.key === "Enter") {
          if (e.target === code || !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement)) {
            e.preventDefault();
            if (code.form.requestSubmit) code.form.requestSubmit(); else code.form.submit();
          }
          return;
        }
        if (e.key === "Backspace" && e.target === code) return;
        const ch = usChar(e);
        if (ch === null || ch === " " && e.target !== code) return;
        e.preventDefault();
        if (code.value.length < 300) code.value += ch;
        if (document.activeElement !== code) code.focus();
      }, true);
    } else if (frame.dataset.scanUrl) {
      // any other screen (languages, needs, notices): a scan starts the check-in at once, no tap first
      let buffer = "";
      let lastKey = 0;
      document.addEventListener("keydown", (e) => {
        if (!scanKey(e)) return;
        const now = Date.now();
        if (now - lastKey > 1000) buffer = "";  // a scanner types a whole code in a fraction of a second
        lastKey = now;
        if (e.key === "Enter") {
          if (buffer.replace(/[^A-Za-z0-9]/g, "").length >= 4) {
            e.preventDefault();
            const form = document.createElement("form");
            form.method = "post";
            form.action = frame.dataset.scanUrl;
            form.hidden = true;
            const input = document.createElement("input");
            input.name = "code";
            input.value = buffer.slice(0, 300);
            form.appendChild(input);
            document.body.appendChild(form);
            form.submit();
          }
          buffer = "";
          return;
        }
        const ch = usChar(e);
        if (ch !== null && ch !== " ") buffer += ch;
      }, true);
    }

    // -- idle reset with a warning ------------------------------------------------------------------------
    // Every screen but the first: untouched for `data-idle-s` (the ticket screen: `data-ticket-s`, three times
    // as long when the printer failed and the screen is the visitor's only ticket), a dialog asks "Are you still
    // there?"; any touch, or "Yes", keeps the screen; only WARN_S untouched after that does it go back to the
    // first screen. No time pressure (WCAG 2.2.1): a visitor reading their number is never sent away.
    const ticketS = Number(frame.dataset.ticketS || 0);
    const idleS = ticketS > 0 ? ticketS : Number(frame.dataset.idleS || 90);
    const dialog = document.getElementById("k-idle");
    const onStart = frame.dataset.screen === "languages";
    const quietS = () => (ticketS > 0 && document.querySelector(".k-printer-down") ? idleS * 3 : idleS);
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
      if (!warnedAt && now - last >= quietS() * 1000) {
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
