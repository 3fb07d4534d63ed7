// The needs page's chart: villages per topic needing data (1001a) and activities (1001b).
// Data comes from the page through json_script (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("needs-chart-data");
  const canvas = document.getElementById("needs-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: [
        { label: chart.data_label, data: chart.data, backgroundColor: "#0b4f8a" },
        { label: chart.activity_label, data: chart.activity, backgroundColor: "#f39c12" },
      ],
    },
    options: {
      indexAxis: "y",
      aspectRatio: 1.3,
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
});
