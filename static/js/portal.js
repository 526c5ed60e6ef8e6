// Move keyboard and screen-reader focus to a form's error summary when the page shows one.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});

// Controls marked data-submit-on-change submit their form at once (the language switch);
// a <noscript> button covers browsers without scripts. No inline handlers: see the CSP.
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-submit-on-change]")) { event.target.form.submit(); }
});
