// The manager's Today page: draws the view the box pushes over Socket.IO (namespace /manage), on connect and
// after every batch of events or every few seconds (manage/namespace.py). No reload; when the socket is down
// the page says its figures may be out of date. Texts come translated from the page's data-t-* attributes.
"use strict";
(function () {
  const root = document.getElementById("main");
  const lang = root.dataset.lang || "en";
  const t = root.dataset;
  const pct = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const none = t.tNone;

  function minutes(s) {
    if (s === null || s === undefined) return none;
    return t.tMin.replace("{n}", num.format(Math.floor(s / 60)));
  }
  function share(x) { return x === null || x === undefined ? none : pct.format(x); }
  function count(x) { return x === null || x === undefined ? none : num.format(x); }

  function cell(row, f, text, bad) {
    const el = row.querySelector('[data-f="' + f + '"]');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("m-bad", !!bad);
  }

  function drawRow(row, n, target) {
    cell(row, "waiting", count(n.waiting));
    const late = n.max_wait_min !== null && n.max_wait_min !== undefined && n.longest_wait_s > n.max_wait_min * 60;
    cell(row, "longest", n.waiting ? minutes(n.longest_wait_s) : none, late);
    cell(row, "counters", n.counters === null ? "" : count(n.counters), n.waiting > 0 && n.counters === 0);
    cell(row, "level", share(n.service_level));
    if (n.target_min) {
      const target = document.createElement("span");
      target.className = "m-target";
      target.textContent = t.tTarget.replace("{n}", num.format(n.target_min));
      row.querySelector('[data-f="level"]').append(" ", target);
    }
    cell(row, "served", count(n.served));
    let ns = count(n.no_shows);
    if (n.no_show_rate !== null && n.no_show_rate !== undefined) ns += " (" + share(n.no_show_rate) + ")";
    cell(row, "no_shows", ns);
    let flr = share(n.first_line_resolution);
    const below = n.first_line_resolution !== null && n.first_line_resolution !== undefined &&
      n.first_line_resolution < target;
    if (n.first_line_resolution !== null && n.first_line_resolution !== undefined) {
      flr += " · " + (below ? t.tBelow : t.tMeets);
    }
    cell(row, "flr", flr, below);
    cell(row, "csat", share(n.csat));
  }

  function drawAlerts(alerts) {
    const ul = document.getElementById("alerts");
    ul.replaceChildren();
    if (!alerts.length) {
      const li = document.createElement("li");
      li.className = "m-ok";
      li.textContent = t.tNoAlert;
      ul.appendChild(li);
      return;
    }
    for (const a of alerts) {
      const li = document.createElement("li");
      li.className = "m-alert";
      li.dataset.kind = a.kind;
      if (a.need) li.dataset.need = a.need;
      const mark = document.createElement("strong");
      mark.textContent = "⚠ ";
      mark.setAttribute("aria-hidden", "true");
      li.append(mark, document.createTextNode(a.text));
      ul.appendChild(li);
    }
  }

  function drawCounters(view) {
    document.getElementById("open-count").textContent = num.format(view.open);
    document.getElementById("paused-count").textContent = num.format(view.paused);
    const ul = document.getElementById("counters");
    ul.replaceChildren();
    if (!view.counters.length) {
      const li = document.createElement("li");
      li.textContent = t.tNoCounter;
      ul.appendChild(li);
    }
    for (const c of view.counters) {
      const li = document.createElement("li");
      li.dataset.counter = c.id;
      li.dataset.state = c.paused ? "paused" : (c.busy ? "busy" : "free");
      li.textContent = c.label + " — " + (c.paused ? t.tPaused : (c.busy ? t.tBusy : t.tFree));
      if (c.paused) li.classList.add("m-bad");
      ul.appendChild(li);
    }
  }

  function drawSatisfaction(all) {
    document.getElementById("sat-csat").textContent = share(all.csat);
    document.getElementById("sat-happy").textContent =
      all.happy_index === null || all.happy_index === undefined ? none : num.format(all.happy_index);
    document.getElementById("sat-response").textContent = share(all.response_rate);
    document.getElementById("help-count").textContent = count(all.help_alerts);
    for (const s of ["1", "2", "3", "4"]) {
      document.getElementById("tap-" + s).textContent = num.format((all.taps || {})[s] || 0);
    }
  }

  function drawReport(report) {
    const card = document.getElementById("report");
    if (!card || !report) return; // the site does not report upstream
    document.getElementById("report-pending").textContent = num.format(report.pending);
    document.getElementById("report-oldest").textContent = report.oldest || none;
    document.getElementById("report-success").textContent = report.last_success || card.dataset.never;
    document.getElementById("report-error").textContent = report.last_error || none;
  }

  let seq = -1;
  function draw(view) {
    if (view.seq < seq) return; // an older view than the one drawn
    seq = view.seq;
    for (const n of view.needs) {
      const row = document.querySelector('#needs-body tr[data-need="' + CSS.escape(n.id) + '"]');
      if (row) drawRow(row, n, view.first_line_target);
    }
    drawRow(document.querySelector('tfoot tr[data-need="all"]'), view.all, view.first_line_target);
    drawAlerts(view.alerts);
    drawCounters(view);
    drawSatisfaction(view.all);
    drawReport(view.report);
    root.dataset.seq = String(view.seq);
    root.dataset.at = String(view.at);
  }

  function status(s) {
    root.dataset.state = s;
    const p = document.getElementById("live-status");
    p.textContent = s === "online" ? t.tOnline : t.tOffline;
    p.classList.toggle("m-bad", s !== "online");
  }

  draw(JSON.parse(root.dataset.view));
  const socket = io("/manage", {
    transports: ["websocket"],
    query: { lang: lang },
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
  });
  socket.on("today", function (view) { draw(view); status("online"); });
  socket.on("disconnect", function (reason) {
    status("offline");
    // the box closed this socket: the session ended (logged out, expired, no longer a manager's)
    if (reason === "io server disconnect") window.location.assign("/manage/login?next=/manage/today");
  });
  socket.on("connect_error", function (err) {
    status("offline");
    if (err && (err.message === "login_required" || err.message === "forbidden")) {
      socket.disconnect();
      window.location.assign("/manage/login?next=/manage/today");
    }
  });
})();
