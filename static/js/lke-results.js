// Hasil penilaian LKE Provinsi: the aspect profile per village and the distribution of the
// verified totals. Data comes from the json_script element "lke-chart-data".
(function () {
  "use strict";
  var COLORS = ["#0b4f8a", "#f39c12", "#198754", "#6f42c1", "#d63384", "#20c997"];

  function draw() {
    var source = document.getElementById("lke-chart-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var aspects = document.getElementById("lke-aspect-chart");
    if (aspects) {
      new Chart(aspects, {
        type: "bar",
        data: {
          labels: data.villages,
          datasets: data.aspects.map(function (aspect, index) {
            return { label: aspect.label, data: aspect.data, backgroundColor: COLORS[index % COLORS.length] };
          }),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          indexAxis: data.villages.length > 8 ? "y" : "x",
          scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
          plugins: { legend: { position: "bottom" } },
        },
      });
    }
    var distribution = document.getElementById("lke-distribution-chart");
    if (distribution) {
      new Chart(distribution, {
        type: "bar",
        data: {
          labels: data.bins,
          datasets: [{ label: distribution.getAttribute("aria-label"), data: data.counts, backgroundColor: "#0b4f8a" }],
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: false } },
        },
      });
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
