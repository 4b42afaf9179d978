// scopestore admin console: small enhancements; every page works without them.
// Copy buttons: <button data-copy="ID"> copies the text of element ID, or
// selects it where the clipboard API is unavailable (plain HTTP off localhost).
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  var select = function () {
    var range = document.createRange();
    range.selectNodeContents(source);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  };
  var done = function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.textContent.trim()).then(done, select);
  } else {
    select();
    if (document.execCommand("copy")) done();
  }
});

// Sessions list: the number of ticked rows on "Invalidate selected", a box
// that ticks every row of the page, and the live refresh held while rows
// are ticked, so that a row does not move (or vanish) under the pointer.
// Without JS the boxes still post, and the confirmation page counts them.
document.documentElement.classList.add("js");
(function () {
  var rows = function () {
    return document.querySelectorAll('input[name="cfid"][form="select-form"]');
  };
  var ticked = function () {
    return document.querySelectorAll('input[name="cfid"][form="select-form"]:checked').length;
  };
  var update = function () {
    var n = ticked(), all = rows().length;
    document.querySelectorAll("[data-selected-count]").forEach(function (el) { el.textContent = n; });
    var button = document.querySelector('[data-testid="invalidate-selected"]');
    if (button) button.disabled = n === 0;
    var box = document.querySelector("[data-select-all]");
    if (box) {
      box.checked = all > 0 && n === all;
      box.indeterminate = n > 0 && n < all;
    }
  };
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      rows().forEach(function (el) { el.checked = event.target.checked; });
    }
    if (event.target.matches("[data-select-all], input[name=\"cfid\"][form=\"select-form\"]")) update();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "sessions-table" && ticked() > 0) event.preventDefault();
  });
  document.addEventListener("htmx:afterSwap", update);
  document.addEventListener("DOMContentLoaded", update);
})();
