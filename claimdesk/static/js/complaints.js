// Complaint intake: manufacturer-hotline and regulator complaints are high severity by default and
// carry their own deadline; the severity follows the channel until the user picks one.
(function () {
  "use strict";
  var form = document.querySelector("[data-complaint-form]");
  if (!form) { return; }
  var channel = form.querySelector("[name=channel]");
  var severity = form.querySelector("[name=severity]");
  var external = form.querySelector("[data-external-fields]");
  var touched = severity && severity.value !== "";
  if (severity) { severity.addEventListener("change", function () { touched = true; }); }
  function sync() {
    var isExternal = channel && (channel.value === "manufacturer" || channel.value === "regulator");
    if (external) { external.classList.toggle("d-none-soft", !isExternal); }
    if (severity && !touched) { severity.value = isExternal ? "high" : ""; }
  }
  if (channel) { channel.addEventListener("change", sync); sync(); }
})();
