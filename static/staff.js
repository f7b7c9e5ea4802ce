// The staff report's charts, drawn by Chart.js (vendored) from the report's own data; the
// tables beside them carry the same figures for screen readers and for printing.
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);

  function draw(id, config) {
    const canvas = document.getElementById(id);
    canvas.hidden = false;
    return new Chart(canvas, { ...config, options: { animation: false, ...config.options } });
  }

  draw("failures-chart", {
    type: "bar",
    data: {
      labels: data.failures.map((row) => `${row.step} ${row.code || ""}`.trim()),
      datasets: [{ label: "Verifications that failed there", data: data.failures.map((row) => row.verifications) }],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  const periods = [...new Set(data.over_time.map((row) => row.period))];
  const steps = [...new Set(data.over_time.map((row) => row.step))];
  draw("over-time-chart", {
    type: "bar",
    data: {
      labels: periods,
      datasets: steps.map((step) => ({
        label: step,
        data: periods.map((period) => data.over_time.find((row) => row.period === period && row.step === step)?.verifications || 0),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
