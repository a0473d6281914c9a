// The kiosk ticket page's live printer alert. The number is committed and on screen before the printer is
// even tried; if the printer fails (this ticket's job, or any printer_status that is not ok while the page is
// shown, or a printer already failing when the page opened), #printer-alert says so in the visitor's language
// and the number and QR code grow, so the visitor leaves with the number or the code on their phone.
"use strict";
(function () {
  const box = document.getElementById("printer-live");
  const section = document.querySelector(".k-ticket");
  if (!box || !section || !window.Live) return;
  const FINE = ["printer_ok", "printer_paper_low"];  // paper running low still prints
  const ticketId = box.dataset.ticket;

  function alertEl() {
    let el = document.getElementById("printer-alert");
    if (!el) {  // the page was rendered without one: make it, right after the number
      el = document.createElement("p");
      el.id = "printer-alert";
      el.className = "banner warn";
      const number = document.getElementById("ticket-number");
      (number || section.firstChild).after(el);
    }
    return el;
  }

  function down(key, mine) {
    const el = alertEl();
    el.setAttribute("role", "alert");
    el.textContent = box.dataset.message;
    el.hidden = false;
    el.dataset.key = key;
    if (mine) el.dataset.ticket = ticketId;  // this very ticket did not print
    section.classList.add("k-printer-down");
  }

  if (box.dataset.down === "1") down("", false);

  // only the printer and the seq matter here: /api/health has both, without the whole day's snapshot
  window.Live("/kiosk", {
    snapshot(snap) { if (snap.printer && !FINE.includes(snap.printer)) down(snap.printer, false); },
    event(ev) {
      if (ev.type !== "printer_status" || FINE.includes(ev.data.key)) return;
      down(ev.data.key, ev.data.ticket === ticketId);
    },
  }, "/api/health");
})();
