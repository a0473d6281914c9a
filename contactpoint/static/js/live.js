// Live state for every device page: a snapshot from /api/state, then seq-numbered batches over Socket.IO.
// A page that connects, reconnects or sees a gap in seqs takes a fresh snapshot: it never shows stale state
// silently. handlers: snapshot(snap), event(ev), summary(s), status(s), and refused() when the box no longer
// accepts the page's session (an agent's console then goes to the login page). status is "syncing" from the
// moment the socket connects until the snapshot and the events that came meanwhile are drawn, then "online";
// "offline" when the socket is down. A page is never "online" while it still shows what it had before.
"use strict";
window.Live = function (namespace, handlers, stateUrl) {
  stateUrl = stateUrl || "/api/state";
  let seq = -1;
  let ready = false;
  let waiting = [];
  let resyncing = false;
  const socket = io(namespace, {
    transports: ["websocket"],
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
  });

  function status(s) { if (handlers.status) handlers.status(s); }

  async function resync() {
    if (resyncing) return;
    resyncing = true;
    ready = false;
    try {
      const r = await fetch(stateUrl, { cache: "no-store", credentials: "same-origin" });
      if (r.status === 401 && handlers.refused) { handlers.refused(); return; }  // the session ended
      if (!r.ok) throw new Error("state " + r.status);
      const snap = await r.json();
      seq = snap.seq;
      handlers.snapshot(snap);
      if (handlers.summary && snap.summary) handlers.summary(snap.summary);
      ready = true;
      const queued = waiting;
      waiting = [];
      queued.forEach(apply);
      if (socket.connected) status("online");
    } catch (e) {
      setTimeout(() => { if (socket.connected) resync(); }, 1000);
    } finally {
      resyncing = false;
    }
  }

  function apply(batch) {
    if (!ready) { waiting.push(batch); return; }
    if (batch.to <= seq) return;                 // already in the snapshot
    if (batch.from > seq + 1) { resync(); return; } // a gap: something was missed
    for (const ev of batch.events) { if (ev.seq > seq) handlers.event(ev); }
    seq = batch.to;
    if (handlers.summary && batch.summary) handlers.summary(batch.summary);
  }

  socket.on("connect", () => { status("syncing"); resync(); });
  socket.on("disconnect", () => { ready = false; status("offline"); });
  socket.on("connect_error", (err) => {
    status("offline");
    // the box refuses this page's session (expired, password changed, account disabled): say so, don't retry
    if (err && err.message === "login_required" && handlers.refused) handlers.refused();
  });
  socket.on("events", apply);
  // the per-need summary also comes alone, after a burst whose batches left without it
  socket.on("summary", (s) => { if (ready && handlers.summary) handlers.summary(s); });
  return { socket, resync, get seq() { return seq; } };
};
