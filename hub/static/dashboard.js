// The dashboard's two charts, drawn by uPlot (vendored: hub/static/vendor/) from each chart's data-chart JSON
// (hub/dashboard.py `charts`): x runs along the needs or the chosen need's slots, one colour and point size per
// site, a solid line for the first figure and a dashed one for the second (colour is never the only carrier).
// A suppressed cell ("< 5") is null: a gap. The page's table gives every figure. No inline script or style: uPlot
// sets element styles through the CSSOM, which the CSP allows.
"use strict";
(function () {
  const root = document.getElementById("charts");
  if (!root || typeof uPlot === "undefined") return;
  const lang = root.dataset.lang || "en";
  // dark enough on white (contrast ≥ 4.5:1), told apart by point size and the legend's names as well
  const COLORS = ["#0b4f9c", "#b00020", "#0a6b2c", "#8a4b00", "#5b2a86", "#333333", "#006d77", "#9c2f6b"];
  const DASHES = [[], [10, 5]]; // first figure solid, second dashed
  const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

  function shown(c, v) {
    return v === null || v === undefined ? "—" : num.format(v) + (c.unit === "%" ? " %" : " " + c.unit);
  }

  function draw(el, c, width) {
    const n = c.categories.length;
    const xs = c.categories.map(function (_, i) { return i; });
    const every = Math.max(1, Math.ceil(n / 14));
    const series = [{ label: c.x, value: function (u, i) { return i === null ? "—" : c.categories[i]; } }];
    const data = [xs];
    c.series.forEach(function (s, k) {
      const second = k % 2 === 1;
      const color = COLORS[s.site % COLORS.length];
      const one = {
        label: s.label,
        stroke: color,
        width: 2,
        dash: DASHES[second ? 1 : 0],
        spanGaps: false,
        points: { show: true, size: 7 + (s.site % 3) * 2, width: 2, stroke: color, fill: second ? "#ffffff" : color },
        value: function (u, v) { return shown(c, v); },
      };
      if (!c.lines) one.paths = function () { return null; }; // needs side by side: points only
      series.push(one);
      data.push(s.values);
    });
    if (c.target) {
      series.push({ label: c.target.label, stroke: "#555555", width: 2, dash: [2, 4], points: { show: false },
        value: function () { return shown(c, c.target.value); } });
      data.push(xs.map(function () { return c.target.value; }));
    }
    const opts = {
      width: width,
      height: 280,
      scales: {
        x: { time: false, range: [-0.5, n - 0.5] },
        y: { range: function (u, lo, hi) { return c.unit === "%" ? [0, 100] : [0, Math.max(1, (hi || 0) * 1.1)]; } },
      },
      series: series,
      axes: [
        { splits: function () { return xs.filter(function (i) { return i % every === 0; }); },
          values: function (u, vals) { return vals.map(function (i) { return c.categories[i] || ""; }); },
          rotate: n > 6 ? -25 : 0, size: n > 6 ? 90 : 40 },
        { values: function (u, vals) { return vals.map(function (v) { return num.format(v) + (c.unit === "%" ? " %" : ""); }); }, size: 60 },
      ],
      padding: [12, 32, 0, 0],
    };
    return new uPlot(opts, data, el);
  }

  function empty(el) {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = root.dataset.tEmpty;
    el.replaceChildren(p);
    el.removeAttribute("aria-hidden");
  }

  const plots = [];
  root.querySelectorAll(".plot[data-chart]").forEach(function (el) {
    const c = JSON.parse(el.dataset.chart);
    const any = c.series.some(function (s) { return s.values.some(function (v) { return v !== null; }); });
    if (!c.categories.length || !any) { empty(el); return; }
    plots.push([el, draw(el, c, Math.max(280, el.clientWidth))]);
    el.dataset.drawn = "true";
  });
  window.addEventListener("resize", function () {
    plots.forEach(function (p) { p[1].setSize({ width: Math.max(280, p[0].clientWidth), height: 280 }); });
  });
  root.dataset.charts = "ready";
})();
