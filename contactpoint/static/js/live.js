// Live state for every device page: a snapshot from /api/state, then seq-numbered batches over Socket.IO.
// A page that connects, reconnects or sees a gap in seqs takes a fresh snapshot: it never shows stale state
// silently. handlers: snapshot(snap), event(ev), summary(s), status(s), and refused() when the box no longer
// accepts the page's session (an agent's counter page then goes to the login page). status is "syncing" from the
// moment the socket connects until the snapshot and the events that came meanwhile are drawn, then "online";
// "offline" when the socket is down. A page is never "online" while it still shows what it had before.
// options: {heartbeatMs, heartbeatTimeoutMs} for a page that must notice a vanished box within seconds.
"use strict";
window.Live = function (namespace, handlers, stateUrl, options) {
  stateUrl = stateUrl || "/api/state";
  options = options || {};
  let seq = -1;
  let ready = false;
  let waiting = [];
  let resyncing = false;
  let again = false;        // a resync was asked for while one was running: run another when it ends
  let epoch = 0;            // bumped at each connect: a snapshot fetched before the last connect is not drawn
  let summarySeq = -1;      // the seq of the summary drawn last (older ones are not drawn over it)
  let aheadTimer = null;
  const socket = io(namespace, {
    transports: ["websocket"],
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
  });

  function status(s) { if (handlers.status) handlers.status(s); }

  function drawSummary(s) {
    if (!handlers.summary || !s) return;
    if (typeof s.seq === "number") {
      if (s.seq < summarySeq) return;      // older than what is drawn (sent before the snapshot we drew)
      summarySeq = s.seq;
    }
    handlers.summary(s);
  }

  async function resync() {
    if (resyncing) { again = true; return; }
    resyncing = true;
    ready = false;
    let retry = false;
    try {
      do {
        again = false;
        const mine = epoch;
        const r = await fetch(stateUrl, { cache: "no-store", credentials: "same-origin" });
        if (r.status === 401 && handlers.refused) { handlers.refused(); return; }  // the session ended
        if (!r.ok) throw new Error("state " + r.status);
        const snap = await r.json();
        if (again || mine !== epoch || !socket.connected) continue;  // stale already: take another
        seq = snap.seq;
        summarySeq = -1;
        handlers.snapshot(snap);
        drawSummary(snap.summary);
        ready = true;
        const queued = waiting;
        waiting = [];
        queued.forEach(apply);
        if (!ready) break;                   // a queued batch showed a gap: its resync is pending (again)
      } while (again && socket.connected);
      if (ready && socket.connected) status("online");
    } catch (e) {
      retry = true;
    } finally {
      resyncing = false;
    }
    if (retry || (again && socket.connected)) {
      setTimeout(() => { if (socket.connected) resync(); }, retry ? 1000 : 0);
    }
  }

  function apply(batch) {
    if (!ready) { waiting.push(batch); return; }
    if (batch.to <= seq) return;                 // already in the snapshot
    if (batch.from > seq + 1) { ready = false; waiting = [batch]; resync(); return; } // a gap: something was missed
    for (const ev of batch.events) { if (ev.seq > seq) handlers.event(ev); }
    seq = batch.to;
    drawSummary(batch.summary);
  }

  // heartbeat (options.heartbeatMs, options.heartbeatTimeoutMs): the page asks the box "alive?" this often, and
  // a box that does not answer in time is taken as gone (power cut, cable pulled), without waiting for the
  // Engine.IO heartbeat (5 s + 5 s); the connection is dropped and Socket.IO reconnects on its own
  if (options.heartbeatMs) {
    setInterval(() => {
      if (!socket.connected) return;
      socket.timeout(options.heartbeatTimeoutMs || 3000).emit("alive", (err) => {
        if (err && socket.connected && socket.io.engine) socket.io.engine.close();
      });
    }, options.heartbeatMs);
  }

  socket.on("connect", () => { epoch += 1; status("syncing"); resync(); });
  socket.on("disconnect", (reason) => {
    ready = false;
    status("offline");
    // the box closed this socket on purpose (the agent's session ended): the state URL says so with a 401,
    // and the page goes to its login; otherwise reconnect (Socket.IO does not after a server's disconnect)
    if (reason === "io server disconnect") {
      fetch(stateUrl, { cache: "no-store", credentials: "same-origin" })
        .then((r) => {
          if (r.status === 401 && handlers.refused) handlers.refused();
          else if (r.status === 403) location.reload();  // this device was revoked: its page says what to do
          else setTimeout(() => socket.connect(), 1000);
        })
        .catch(() => setTimeout(() => socket.connect(), 1000));
    }
  });
  socket.on("connect_error", (err) => {
    status("offline");
    // the box refuses this page's session (expired, password changed, account disabled): say so, don't retry
    if (err && err.message === "login_required" && handlers.refused) handlers.refused();
    // the box does not (or no longer) know this device: the page itself shows its pairing code
    if (err && err.message === "device_not_paired") location.reload();
  });
  socket.on("events", apply);
  // the per-need summary also comes alone, after a burst whose batches left without it. It carries the seq it
  // is current to: one ahead of the page means a batch is on its way; if none comes, something was missed
  socket.on("summary", (s) => {
    if (!ready) return;
    drawSummary(s);
    if (typeof s.seq === "number" && s.seq > seq && !aheadTimer) {
      const expected = s.seq;
      aheadTimer = setTimeout(() => {
        aheadTimer = null;
        if (ready && socket.connected && seq < expected) resync();
      }, 2000);
    }
  });
  return { socket, resync, get seq() { return seq; } };
};
