// The /meta page, progressively: pool as soon as A and B are both chosen (the form works without this file).
(function () {
  "use strict";
  var form = document.getElementById("meta-form");
  if (!form) { return; }
  var a = document.getElementById("meta-a");
  var b = document.getElementById("meta-b");
  form.addEventListener("change", function (event) {
    if (event.target && event.target.id === "meta-level") { return; }  // typing a level: wait for the button
    if (a.value && b.value) {
      if (event.target === a || event.target === b) {
        // a new pair: the filters listed belong to the old one
        Array.prototype.forEach.call(form.querySelectorAll("select[name=where]"), function (s) { s.value = ""; });
      }
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", function () {
    // keep the shared address short: leave out filters set to "any" and the default level
    Array.prototype.forEach.call(form.querySelectorAll("select[name=where]"), function (s) { s.disabled = !s.value; });
    var level = document.getElementById("meta-level");
    if (level && level.value === "0.95") { level.disabled = true; }
  });
}());
