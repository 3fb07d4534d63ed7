/* Charts of the monitoring dashboard. Data comes from the json_script element
   #dashboard-data; the charts are drawn again whenever htmx swaps the dashboard body. */
(function () {
  "use strict";

  // The same colours as the status badges (static/css/monitoring.css).
  var COLOURS = {
    tepat_waktu: "#198754",
    terlambat: "#fd7e14",
    lewat: "#dc3545",
    segera: "#ffc107",
    dispensasi: "#0d6efd",
    belum_jatuh_tempo: "#adb5bd",
    belum_dibuka: "#dee2e6"
  };
  var charts = [];
  var locale = document.documentElement.lang || "id";

  function percent(value) {
    return value === null || value === undefined
      ? "—"
      : value.toLocaleString(locale, { maximumFractionDigits: 1 }) + "%";
  }

  // Counts, or with `expected` the share of the expected items each count is.
  function datasets(block) {
    return block.statuses.map(function (status) {
      var counts = block.counts[status.key];
      return {
        label: status.label,
        counts: counts,
        data: block.expected
          ? counts.map(function (n, i) { return block.expected[i] ? (100 * n) / block.expected[i] : 0; })
          : counts,
        backgroundColor: COLOURS[status.key],
        borderWidth: 0,
        maxBarThickness: 48
      };
    });
  }

  function stackedBar(canvas, block, footer, options) {
    var valueAxis = { stacked: true, beginAtZero: true, ticks: { precision: 0 } };
    if (options.share) {
      valueAxis.max = 100;
      valueAxis.title = { display: true, text: options.share };
      valueAxis.ticks.callback = function (v) { return v + "%"; };
    }
    var categoryAxis = { stacked: true, ticks: { autoSkip: false, maxRotation: 45 } };
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: block.labels, datasets: datasets(block) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: options.horizontal ? "y" : "x",
        animation: false,
        scales: options.horizontal
          ? { x: valueAxis, y: categoryAxis }
          : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var n = item.dataset.counts[item.dataIndex];
                return item.dataset.label + ": " + n +
                  (options.share ? " (" + percent(Math.round(item.raw * 10) / 10) + ")" : "");
              },
              footer: footer
            }
          }
        }
      }
    });
  }

  // The national dashboard: completeness and timeliness side by side per province.
  function provinceBars(canvas, block, labels) {
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: block.labels,
        datasets: [
          { label: labels.completeness, data: block.completeness, backgroundColor: "#0d6efd", borderWidth: 0 },
          { label: labels.timeliness, data: block.timeliness, backgroundColor: COLOURS.tepat_waktu, borderWidth: 0 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: "y",
        animation: false,
        scales: {
          x: { beginAtZero: true, max: 100, title: { display: true, text: labels.share },
               ticks: { callback: function (v) { return v + "%"; } } },
          y: { ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + percent(item.raw); } } }
        }
      }
    });
  }

  function draw() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    // The canvases carry no id: htmx would carry an old canvas's attributes (the inline size
    // Chart.js gives it) over to its replacement, which the CSP refuses.
    var realisation = document.querySelector("canvas[data-chart=realisation]");
    var timeliness = document.querySelector("canvas[data-chart=timeliness]");
    var provinces = document.querySelector("canvas[data-chart=provinces]");
    if (provinces && data.provinces) {
      charts.push(provinceBars(provinces, data.provinces, labels));
    }
    if (realisation) {
      charts.push(stackedBar(realisation, data.realisation, function (items) {
        return labels.completeness + ": " + percent(data.realisation.completeness[items[0].dataIndex]);
      }, {}));
    }
    if (timeliness) {
      charts.push(stackedBar(timeliness, data.timeliness, function (items) {
        var i = items[0].dataIndex;
        return [
          labels.completeness + ": " + percent(data.timeliness.completeness[i]),
          labels.timeliness + ": " + percent(data.timeliness.timeliness[i])
        ];
      }, { horizontal: true, share: labels.share }));
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  // After a filter change htmx replaces #dashboard-body: the old canvases are gone.
  document.body.addEventListener("htmx:afterSettle", function () {
    if (document.getElementById("dashboard-body")) { draw(); }
  });
})();
