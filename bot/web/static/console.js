// The overview's charts: mentions per minute per account (uPlot), from /api/series (counts only, no text).
// Redrawn after each htmx reload of the numbers, so one timer refreshes the whole page.
(function () {
  "use strict";
  var COLOURS = { complaints: "#c0392b", unsure: "#d68910", escalations: "#7d3c98", ignored: "#7f8c8d" };
  var plots = {};

  function draw(data) {
    document.querySelectorAll(".chart-plot[data-account]").forEach(function (el) {
      var code = el.getAttribute("data-account");
      var counts = data.accounts[code];
      if (!counts) { return; }
      var names = Object.keys(COLOURS);
      var rows = [data.minutes].concat(names.map(function (n) { return counts[n]; }));
      if (plots[code]) { plots[code].setData(rows); return; }
      var opts = {
        width: Math.max(el.clientWidth, 380), height: 200,
        scales: { x: { time: true } },
        series: [{}].concat(names.map(function (n) {
          return { label: n, stroke: COLOURS[n], width: 1.5, points: { show: false } };
        })),
        axes: [{}, { label: "per minute" }],
      };
      plots[code] = new uPlot(opts, rows, el);
      el.setAttribute("data-drawn", "1");
    });
  }

  function refresh() {
    var root = document.getElementById("charts");
    if (!root) { return; }
    fetch("/api/series?hours=" + encodeURIComponent(root.getAttribute("data-hours") || "3"),
          { credentials: "same-origin", headers: { "accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(draw)
      .catch(function (e) { root.setAttribute("data-error", String(e)); });
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSwap", refresh);
})();
