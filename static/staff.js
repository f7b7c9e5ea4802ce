// The staff report's charts, drawn by Chart.js (vendored) from the report's own data; the
// tables beside them carry the same figures for screen readers and for printing.
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const named = (step) => data.step_names[step] || step;

  // Each chart fills its box (.chart in portal.css), whose height suits a few bars, not the
  // page's width; a chart of rows grows with them.
  function draw(id, config, rows) {
    const canvas = document.getElementById(id);
    canvas.hidden = false;
    if (rows) canvas.parentElement.style.height = `${4 + 2.25 * rows}rem`;
    const options = { animation: false, maintainAspectRatio: false, ...config.options };
    return new Chart(canvas, { ...config, options });
  }

  draw("failures-chart", {
    type: "bar",
    data: {
      // Two lines, step then code: one long line is cut short on a narrow screen.
      labels: data.failures.map((row) => [named(row.step), row.code || ""]),
      datasets: [{ label: "Verifications that failed there", data: data.failures.map((row) => row.verifications) }],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, data.failures.length);

  const periods = [...new Set(data.over_time.map((row) => row.period))];
  const steps = [...new Set(data.over_time.map((row) => row.step))];
  draw("over-time-chart", {
    type: "bar",
    data: {
      labels: periods,
      datasets: steps.map((step) => ({
        label: named(step),
        data: periods.map((period) => data.over_time.find((row) => row.period === period && row.step === step)?.verifications || 0),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
