// The score sheet's weighted total as the expert types: Σ(score × weight) / Σ(max × weight) × 100,
// two decimals, the same rule as evaluation/scoring.py (the server's total is what is saved).
// A missing or impossible score (over the maximum, more than one decimal) shows "—".
(function () {
  function total() {
    var inputs = document.querySelectorAll("input[data-score]");
    var earned = 0, possible = 0;
    for (var i = 0; i < inputs.length; i++) {
      var raw = inputs[i].value.trim();
      var max = parseFloat(inputs[i].dataset.max), weight = parseFloat(inputs[i].dataset.weight || "1");
      if (!/^\d+(\.\d)?$/.test(raw) || parseFloat(raw) > max) { return null; }
      earned += parseFloat(raw) * 10 * weight;
      possible += max * 10 * weight;
    }
    if (!inputs.length || possible === 0) { return null; }
    return (Math.round(earned / possible * 10000) / 100).toFixed(2);
  }
  function show() {
    var target = document.getElementById("sheet-total");
    if (!target) { return; }
    var value = total();
    target.textContent = value === null ? "—" : value;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("input[data-score]")) { show(); }
  });
})();
