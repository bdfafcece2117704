// Dashboard charts: each <canvas data-chart="key"> draws the chart whose data the page put in the
// JSON data island #dashboard-charts (built from the same table shown under it). No inline script (CSP).
(function () {
  "use strict";
  var island = document.getElementById("dashboard-charts");
  if (!island || typeof window.Chart === "undefined") { return; }
  var specs = JSON.parse(island.textContent || "{}");
  // Colour-blind-safe palette (Okabe–Ito), distinguishable in greyscale print too.
  var palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];
  var charts = [];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (!spec) { return; }
    var datasets = spec.datasets.map(function (ds, i) {
      return { label: ds.label, data: ds.data, backgroundColor: palette[i % palette.length],
               borderColor: palette[i % palette.length], borderWidth: 1 };
    });
    var valueAxis = { stacked: !!spec.stacked, beginAtZero: true,
                      title: { display: !!spec.unit, text: spec.unit || "" } };
    var labelAxis = { stacked: !!spec.stacked, ticks: { autoSkip: false } };
    charts.push(new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true, maintainAspectRatio: false, animation: false,
        devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),  // crisp when printed
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
      }
    }));
  });
  // Printing: redraw at the printed width, and back afterwards.
  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
