// The History page's charts, drawn by uPlot (vendored: manage/static/vendor/) from each chart's data-chart JSON
// (manage/history.py `charts`). Every chart has a text table beside it; series differ by dash and point shape as
// well as colour. No inline style: uPlot sets element styles through the CSSOM, which the CSP allows.
"use strict";
(function () {
  const root = document.getElementById("main");
  const lang = root.dataset.lang || "en";
  const tz = root.dataset.tz || "UTC";
  // dark enough on white (contrast ≥ 4.5:1), told apart by dash patterns and points as well
  const COLORS = ["#0b4f9c", "#b00020", "#0a6b2c", "#8a4b00", "#5b2a86", "#333333", "#006d77", "#9c2f6b"];
  const DASHES = [[], [10, 5], [2, 4], [12, 4, 2, 4], [6, 6], [1, 3], [16, 4], [4, 2, 4, 8]];
  const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

  function empty(el) {
    const p = document.createElement("p");
    p.className = "m-hint";
    p.textContent = root.dataset.tEmpty;
    el.replaceChildren(p);
    el.removeAttribute("aria-hidden");
  }

  const dayFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: tz });
  const hourFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: tz });

  const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
  // an hour axis in the page's language: the time of day, and the date at midnight
  const siteHour = new Intl.DateTimeFormat("en-GB", { hour: "numeric", hourCycle: "h23", timeZone: tz });
  function hourLabel(v) {
    const d = new Date(v * 1e3);
    return Number(siteHour.format(d)) === 0 ? dayFormat.format(d) : clock.format(d);
  }

  function lineChart(el, c, width) {
    const fmt = c.step === "day" ? dayFormat : hourFormat;
    const series = [{ label: c.xLabel, value: function (u, v) { return v === null || v === undefined ? "—" : fmt.format(new Date(v * 1e3)); } }];
    c.series.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        dash: DASHES[i % DASHES.length],
        points: { show: true, size: 6 + (i % 3) * 2, fill: COLORS[i % COLORS.length] },
        value: function (u, v) { return v === null || v === undefined ? "—" : num.format(v) + (c.unit === "%" ? "%" : ""); },
      });
    });
    const xAxis = c.step === "day"
      ? { splits: function () { const k = Math.ceil(c.x.length / 8); return c.x.filter(function (_, i) { return i % k === 0; }); }, values: function (u, vals) { return vals.map(function (v) { return dayFormat.format(new Date(v * 1e3)); }); } }
      : { values: function (u, vals) { return vals.map(hourLabel); } };
    const xScale = { time: true };
    if (c.step === "day") xScale.range = function (u, lo, hi) { return [lo - 43200, hi + 43200]; };
    const opts = {
      width: width,
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); },
      // a day's point sits at its noon: half a day each side, so one day alone is drawn too
      scales: { x: xScale },
      series: series,
      axes: [xAxis, { values: function (u, vals) { return vals.map(function (v) { return num.format(v) + (c.unit === "%" ? "%" : ""); }); } }],
    };
    return new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
  }

  function barChart(el, c, width) {
    const n = c.categories.length;
    const xs = c.categories.map(function (_, i) { return i; });
    const opts = {
      width: width,
      height: 260,
      scales: { x: { time: false, range: [-0.5, n - 0.5] }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi)]; } } },
      series: [
        { label: c.xLabel, value: function (u, i) { return i === null ? "—" : c.categories[i]; } },
        {
          label: c.series[0].label,
          stroke: COLORS[0],
          fill: "rgba(11, 79, 156, 0.35)",
          width: 2,
          paths: uPlot.paths.bars({ size: [0.6, 80] }),
          points: { show: false },
        },
      ],
      axes: [
        { splits: function () { return xs; }, values: function (u, vals) { return vals.map(function (i) { return c.categories[i] || ""; }); }, rotate: -25, size: 90 },
        { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], values: function (u, vals) { return vals.map(function (v) { return num.format(v); }); } },
      ],
      padding: [12, 48, 0, 0],
    };
    return new uPlot(opts, [xs, c.series[0].values], el);
  }

  const plots = [];
  document.querySelectorAll(".m-plot[data-chart]").forEach(function (el) {
    const c = JSON.parse(el.dataset.chart);
    const width = Math.max(280, el.clientWidth);
    if (c.type === "bars") {
      if (!c.categories.length) { empty(el); return; }
      plots.push([el, barChart(el, c, width)]);
    } else {
      const any = c.series.some(function (s) { return s.values.some(function (v) { return v !== null; }); });
      if (!c.x.length || !any) { empty(el); return; }
      plots.push([el, lineChart(el, c, width)]);
    }
    el.dataset.drawn = "true";
  });
  window.addEventListener("resize", function () {
    plots.forEach(function (p) { p[1].setSize({ width: Math.max(280, p[0].clientWidth), height: 260 }); });
  });
  root.dataset.charts = "ready";
})();
