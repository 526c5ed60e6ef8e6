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

// A table wider than its box scrolls inside it: the box becomes a named, focusable region so a
// keyboard can scroll it (WCAG 2.1.1); a long table keeps its header row in view.
function markTableBoxes() {
  document.querySelectorAll(".table-scroll").forEach(function (box) {
    var table = box.querySelector("table");
    if (!table) { return; }
    box.classList.toggle("long", table.rows.length > 20);
    if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1) {
      if (!box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var caption = table.querySelector("caption");
        var heading = caption || box.previousElementSibling;
        var name = heading && heading.textContent.trim();
        box.setAttribute("aria-label", name || document.title);
      }
    }
  });
}
document.addEventListener("DOMContentLoaded", markTableBoxes);
window.addEventListener("resize", markTableBoxes);
document.addEventListener("htmx:afterSwap", markTableBoxes);
