// Forecast charts (Chart.js): each <canvas data-chart="id"> draws the JSON in <script id="id">.
// The numbers are in the table beside each chart; the chart is only their picture.
(function () {
  "use strict";
  const palette = ["#0d6efd", "#adb5bd", "#198754", "#fd7e14", "#6f42c1", "#20c997"];

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) return;
    const spec = JSON.parse(source.textContent);
    const datasets = spec.datasets.map((set, index) => ({
      label: set.label,
      data: set.data.map((value) => (value === null ? null : Number(value))),
      backgroundColor: palette[index % palette.length],
    }));
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        animation: false,
        plugins: { legend: { display: datasets.length > 1 } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
