// The kiosk ticket page's live printer alert. The number is committed and on screen before the printer is
// even tried; if the printer fails (this ticket's job, or any printer_status that is not ok while the page is
// shown, or a printer already failing when the page opened), #printer-alert says so in the visitor's language
// and the number and QR code grow, so the visitor leaves with the number or the code on their phone.
"use strict";
(function () {
  const box = document.getElementById("printer-live");
  const section = document.querySelector(".k-ticket");
  const el = document.getElementById("printer-alert");  // rendered whole by the server if already down
  if (!box || !section || !el || !window.Live) return;
  const FINE = ["printer_ok", "printer_paper_low"];  // paper running low still prints
  const ticketId = box.dataset.ticket;

  function down(key, mine) {
    el.hidden = false;  // shown first, then filled: screen readers announce the change to an alert they can see
    if (el.textContent !== box.dataset.message) el.textContent = box.dataset.message;
    el.dataset.key = key;
    if (mine) el.dataset.ticket = ticketId;  // this very ticket did not print
    section.classList.add("k-printer-down");
  }

  // only the printer and the seq matter here: the kiosk's own snapshot has both, never the day's tickets
  window.contactpointLive = window.Live("/kiosk", {
    snapshot(snap) { if (snap.printer && !FINE.includes(snap.printer)) down(snap.printer, false); },
    event(ev) {
      if (ev.type !== "printer_status" || FINE.includes(ev.data.key)) return;
      down(ev.data.key, ev.data.ticket === ticketId);
    },
  }, "/kiosk/state");
})();
