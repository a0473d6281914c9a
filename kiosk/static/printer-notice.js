// The printer's notice on the kiosk's first two screens (kiosk/_paper_notice.html), kept live: a printer that
// runs out of paper (or fails otherwise) while the screen is shown makes it appear, reworded to what is wrong,
// and a printer that prints again makes it go. The state comes from /kiosk/state, then printer_status events.
"use strict";
(function () {
  const box = document.getElementById("paper-notice");
  if (!box || !window.Live) return;
  const FINE = ["printer_ok", "printer_paper_low"];  // paper running low still prints

  function show(key) {
    box.dataset.key = key;
    if (FINE.includes(key)) { box.hidden = true; return; }
    box.hidden = false;  // shown first, then filled: screen readers announce the change to a region they can see
    for (const li of box.querySelectorAll("li")) {
      const text = key === "printer_paper_out" ? li.dataset.paperOut : li.dataset.other;
      if (li.textContent !== text) li.textContent = text;
    }
  }

  // a manager changed the settings (docs/settings.md): these screens show the new names and message once nobody
  // has touched the kiosk for a few seconds; a visitor in the middle of a choice is never interrupted
  const QUIET_MS = 5000;
  let touched = Date.now();
  let stale = false;
  for (const type of ["pointerdown", "keydown", "touchstart", "input"]) {
    document.addEventListener(type, () => { touched = Date.now(); }, { capture: true, passive: true });
  }
  setInterval(() => { if (stale && Date.now() - touched >= QUIET_MS) location.reload(); }, 1000);

  window.contactpointLive = window.Live("/kiosk", {
    snapshot(snap) { if (snap.printer) show(snap.printer); },
    event(ev) {
      if (ev.type === "printer_status") show(ev.data.key);
      else if (ev.type === "settings_changed") stale = true;
    },
  }, "/kiosk/state");
})();
