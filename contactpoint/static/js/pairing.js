// The pairing page (contactpoint/pairing.py): ask the box every few seconds whether this browser's code was
// approved; once it was, load the page it asked for (the same address: the cookie is now its credential).
"use strict";
(function () {
  const main = document.getElementById("main");
  const url = main.dataset.statusUrl;
  const code = document.getElementById("pairing-code");
  async function check() {
    try {
      const r = await fetch(url, { cache: "no-store", credentials: "same-origin" });
      if (r.ok) {
        const s = await r.json();
        if (s.paired) { location.reload(); return; }
        if (!s.code) { location.reload(); return; }  // its code was refused or forgotten: ask for a new one
        if (code && s.code !== code.textContent) code.textContent = s.code;
      }
    } catch (e) { /* the box is away: try again */ }
    setTimeout(check, 2000);
  }
  setTimeout(check, 2000);
})();
