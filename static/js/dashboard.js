// The dashboard's charts (ECharts, vendored), built from the figures the server embeds with
// json_script: no inline script (see the CSP) and no strings of its own (the server translates
// them). Every chart reads without colour: values are printed on bars and segments, and series
// carry patterns (decal). A focused chart answers the arrow keys, showing and announcing one
// value at a time; the table beside it holds the same figures.
(function () {
  "use strict";

  var charts = [];

  function barOption(spec, horizontal) {
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { interval: 0, width: horizontal ? 200 : 90, overflow: "break" }
    };
    var valueAxis = { type: "value", minInterval: 1 };
    return {
      legend: { show: spec.series.length > 1, top: 0 },
      grid: { containLabel: true, left: 8, right: 48, top: spec.series.length > 1 ? 36 : 16, bottom: 8 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? Object.assign({ inverse: true }, categoryAxis) : valueAxis,
      series: spec.series.map(function (series) {
        return {
          type: "bar",
          name: series.name,
          data: series.data,
          label: { show: true, position: horizontal ? "right" : "top" }
        };
      })
    };
  }

  function pieOption(spec) {
    var series = spec.series[0];
    return {
      tooltip: { trigger: "item", confine: true },
      series: [{
        type: "pie",
        name: series.name,
        radius: ["30%", "62%"],
        data: spec.categories.map(function (name, index) {
          var value = series.data[index];
          var shown = value > 0;
          return { name: name, value: value, label: { show: shown }, labelLine: { show: shown } };
        }),
        label: { formatter: "{b}\n{c} ({d}%)" }
      }]
    };
  }

  // Large type on the cockpit, read from across a meeting room.
  function enlarge(base) {
    base.textStyle = { fontSize: 18 };
    ["xAxis", "yAxis"].forEach(function (axis) {
      if (base[axis]) { base[axis].axisLabel = Object.assign({}, base[axis].axisLabel, { fontSize: 16 }); }
    });
    if (base.legend) { base.legend.textStyle = { fontSize: 16 }; }
    base.series.forEach(function (series) {
      series.label = Object.assign({}, series.label, { fontSize: 18, fontWeight: "bold" });
    });
    return base;
  }

  function option(spec, large) {
    var base = spec.type === "pie" ? pieOption(spec) : barOption(spec, spec.type === "hbar");
    if (large) { enlarge(base); }
    base.aria = { enabled: true, label: { description: spec.description }, decal: { show: true } };
    base.backgroundColor = "transparent";
    return base;
  }

  function keyboard(element, chart, spec, key) {
    var index = -1;
    var count = spec.categories.length;
    var live = document.querySelector('[data-chart-point="' + key + '"]');
    element.addEventListener("keydown", function (event) {
      var steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: 0, End: 0 };
      if (event.key === "Escape") {
        chart.dispatchAction({ type: "hideTip" });
        chart.dispatchAction({ type: "downplay" });
        index = -1;
        return;
      }
      if (!(event.key in steps) || !count) { return; }
      event.preventDefault();
      chart.dispatchAction({ type: "downplay" });
      if (event.key === "Home") { index = 0; }
      else if (event.key === "End") { index = count - 1; }
      else { index = (index + steps[event.key] + count) % count; }
      chart.dispatchAction({ type: "highlight", seriesIndex: spec.series.map(function (_s, i) { return i; }), dataIndex: index });
      chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: index });
      if (live) { live.textContent = spec.points[index]; }
    });
    element.addEventListener("blur", function () { chart.dispatchAction({ type: "hideTip" }); });
  }

  function build() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var dark = document.body.classList.contains("cockpit");
    charts.forEach(function (chart) { chart.dispose(); });
    charts = [];
    Object.keys(data).forEach(function (key) {
      var element = document.getElementById("chart-" + key);
      if (!element) { return; }
      var chart = window.echarts.init(element, dark ? "dark" : null, { renderer: "svg" });
      chart.setOption(option(data[key], dark));
      // ECharts sets the aria-label from the description; the role stays an image's.
      element.setAttribute("role", "img");
      keyboard(element, chart, data[key], key);
      charts.push(chart);
    });
  }

  document.addEventListener("DOMContentLoaded", build);
  // The cockpit's figures are fetched again by htmx: draw the new ones.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "cockpit-figures") { build(); }
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
