// The phone tracking page: one ticket's view, pushed whole over Socket.IO (/t, the room of this ticket only),
// and taken again from /t/<token>/state on every connect and reconnect, so it never shows stale state
// silently. A view older than the one shown (lower seq) is ignored. Called: vibrate where the phone can.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("phone-config").textContent);
  const root = document.getElementById("phone");
  const $ = (id) => document.getElementById(id);
  let view = JSON.parse(document.getElementById("phone-initial").textContent);
  let shown = -1;
  let calls = view.state === "called" ? view.calls : 0;  // a call already on screen when the page opened
  let gone = false;

  function set(id, text) { const el = $(id); el.textContent = text || ""; el.hidden = !text; }

  function render(v) {
    if (gone || v.seq < shown) return;
    shown = v.seq;
    root.dataset.state = v.state;
    $("ticket-number").textContent = v.number;
    $("need").textContent = v.need;
    $("status").textContent = v.labels.status;
    set("position", v.labels.position);
    set("estimate", v.labels.estimate);
    document.title = (v.state === "called" ? "▶ " : "") + v.number + (v.counter ? " → " + v.counter : "");
    if (!answered) {
      $("question").hidden = !v.question;
      $("thanks").hidden = !v.answered;
    }
    if (v.state === "called" && v.calls > calls && navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 800]);
    calls = v.state === "called" ? v.calls : calls;
  }

  function showGone() {
    gone = true;
    root.dataset.state = "gone";
    ["status", "position", "estimate", "offline"].forEach((id) => { $(id).hidden = true; });
    $("gone").hidden = false;
    socket.disconnect();
  }

  async function resync() {
    try {
      const r = await fetch(cfg.stateUrl, { cache: "no-store" });
      if (r.status === 404) { showGone(); return; }
      if (!r.ok) throw new Error("state " + r.status);
      render(await r.json());
      root.dataset.conn = "online";
      $("offline").hidden = true;
    } catch (e) {
      setTimeout(() => { if (socket.connected) resync(); }, 1500);
    }
  }

  function offline() { if (!gone) { root.dataset.conn = "offline"; $("offline").hidden = false; } }

  // -- the satisfaction question, once the visit ended: one tap, answered once (phone/feedback.py) -----------
  let answered = false;
  const form = $("feedback-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = e.submitter;
    if (!button || form.dataset.sent) return;
    form.dataset.sent = "1";
    const err = $("feedback-error");
    try {
      const r = await fetch(cfg.feedbackUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ score: Number(button.value) }),
      });
      if (r.ok || r.status === 409) {
        answered = true;
        $("question").hidden = true;
        if (r.ok) { err.hidden = true; $("thanks").hidden = false; return; }
      }
      const body = await r.json();
      err.textContent = body.message || "";
      err.hidden = false;
    } catch (x) {
      err.textContent = $("offline").textContent;
      err.hidden = false;
    } finally {
      delete form.dataset.sent;
    }
  });

  render(view);
  const socket = io(cfg.namespace, { auth: { token: cfg.token }, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
  socket.on("connect", resync);
  socket.on("ticket", render);
  socket.on("gone", showGone);
  socket.on("disconnect", offline);
  socket.on("connect_error", (err) => {
    offline();
    // refused because the ticket is no longer valid: ask the state URL, which says so (404) for sure
    if (err && err.message === "ticket_not_valid") resync();
    // a connection the server refused is not retried by socket.io itself: try again while the ticket exists
    if (!socket.active) setTimeout(() => { if (!gone && !socket.connected) socket.connect(); }, 3000);
  });
})();
