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
