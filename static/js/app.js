// shopcrm: small progressive enhancements. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  // Language switch: change applies at once when scripts run; the button remains for no-JS use.
  function wireAutosubmit(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      var button = form.querySelector("[data-autosubmit-button]");
      if (button) button.classList.add("visually-hidden");
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { form.requestSubmit(); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wireAutosubmit(document); });
  document.addEventListener("htmx:load", function (event) { wireAutosubmit(event.target); });
})();
