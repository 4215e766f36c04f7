// shopcrm: small progressive enhancements. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  function each(root, selector, fn) {
    if (root.matches && root.matches(selector)) fn(root);
    root.querySelectorAll(selector).forEach(fn);
  }

  // Language switch: changing the select applies at once; the button remains for no-JS use.
  function wireAutosubmit(root) {
    each(root, "form[data-autosubmit]", function (form) {
      // Hidden for good (not only visually): no invisible stop in the Tab order.
      var button = form.querySelector("[data-autosubmit-button]");
      if (button) button.hidden = true;
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { form.requestSubmit(); });
      });
    });
  }

  // Customer type: company fields only for professionals.
  function wireTypeSwitch(root) {
    each(root, "form", function (form) {
      var radios = form.querySelectorAll("[data-type-switch] input[type=radio]");
      var pro = form.querySelectorAll("[data-pro-only]");
      if (!radios.length || !pro.length || form.dataset.typeWired) return;
      form.dataset.typeWired = "1";
      function sync() {
        var checked = form.querySelector("[data-type-switch] input:checked");
        var isPro = checked && checked.value === "professional";
        pro.forEach(function (el) { el.hidden = !isPro; });
      }
      radios.forEach(function (r) { r.addEventListener("change", sync); });
      sync();
    });
  }

  // Send boxes: enabled only when their phone / email is valid; the save button says when messages go.
  function syncSendForm(form) {
    var anyChecked = false;
    form.querySelectorAll("input[data-needs]").forEach(function (box) {
      var light = form.querySelector('[data-check-for="' + box.dataset.needs + '"]');
      var ok = light && light.dataset.valid === "true";
      box.disabled = !ok;
      if (!ok) box.checked = false;
      var hint = form.querySelector('[data-needs-hint="' + box.dataset.needs + '"]');
      if (hint) hint.hidden = ok;
      var icon = form.querySelector('[data-send-icon="' + box.name + '"]');
      if (icon) icon.hidden = !box.checked;
      anyChecked = anyChecked || box.checked;
    });
    var button = form.querySelector("[data-label-send]");
    if (button) {
      button.querySelector("[data-label]").textContent =
        anyChecked ? button.dataset.labelSend : button.dataset.labelPlain;
    }
  }
  function wireSendForm(root) {
    each(root, "form[data-send-form]", function (form) {
      if (!form.dataset.sendWired) {
        form.dataset.sendWired = "1";
        form.addEventListener("change", function () { syncSendForm(form); });
      }
      syncSendForm(form);
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.target.closest && event.target.closest("form[data-send-form]");
    if (form) syncSendForm(form);
  });

  // A failed request says so above the page, never leaving a live search silent or a page inside a
  // fragment: a 503 (the database restarting) with the server's words, anything else with a short message.
  function say(text) {
    var alert = document.getElementById("connection-alert");
    if (!alert) return;
    var item = document.createElement("p");
    item.className = "flash__item flash__item--error";
    item.setAttribute("role", "alert");
    item.textContent = text;
    alert.replaceChildren(item);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var alert = document.getElementById("connection-alert");
    if (!alert) return;
    if (event.detail.xhr.status === 503) alert.innerHTML = event.detail.xhr.responseText;
    else say(alert.dataset.failed);
  });
  document.addEventListener("htmx:sendError", function () {
    var alert = document.getElementById("connection-alert");
    if (alert) say(alert.dataset.offline);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var alert = document.getElementById("connection-alert");
    if (alert && event.detail.successful) alert.innerHTML = "";
  });

  // The edit popup: a native modal <dialog> (focus stays inside, Escape closes).
  function wireDialogs(root) {
    each(root, "dialog[data-open-on-load]", function (dialog) {
      if (!dialog.open) dialog.showModal();
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.querySelectorAll("[data-close-dialog]").forEach(function (b) {
        b.addEventListener("click", function () { dialog.close(); });
      });
    });
  }

  // The till: ↓ ↑ move through the cards, Enter opens one, Escape clears the search.
  function wireTill(root) {
    each(root, "[data-till-search]", function (form) {
      var input = form.querySelector("input[type=search]");
      if (!input || input.dataset.tillWired) return;
      input.dataset.tillWired = "1";
      var results = document.getElementById("results");
      function cards() { return Array.prototype.slice.call(results.querySelectorAll("[data-result]")); }
      function clear() {
        input.value = "";
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      }
      input.addEventListener("keydown", function (e) {
        var list = cards();
        if (e.key === "ArrowDown" && list.length) { e.preventDefault(); list[0].focus(); }
        else if (e.key === "Enter" && list.length === 1) { e.preventDefault(); list[0].click(); }
        else if (e.key === "Escape") { e.preventDefault(); clear(); }
        else if (e.key === "Enter" && (e.altKey || e.ctrlKey || e.metaKey)) {
          // Alt/Ctrl+Enter: "Add customer" with what was typed.
          e.preventDefault();
          // Carries what is in the box now, even if the results have not caught up with the typing.
          var add = document.getElementById("add-from-search");
          if (!add) return;
          var carried = add.form.querySelector("[data-till-query]");
          if (carried) carried.value = input.value;
          add.click();
        }
      });
      results.addEventListener("keydown", function (e) {
        var list = cards();
        var i = list.indexOf(document.activeElement);
        if (i < 0) return;
        if (e.key === "ArrowDown") { e.preventDefault(); (list[i + 1] || list[i]).focus(); }
        else if (e.key === "ArrowUp") { e.preventDefault(); (i === 0 ? input : list[i - 1]).focus(); }
        else if (e.key === "Escape") { e.preventDefault(); clear(); }
      });
    });
  }

  // "Preview the email" is a plain button, so Enter in the form saves: it sends the form to the preview
  // in a new tab without becoming the form's default action.
  function wirePreview(root) {
    each(root, "button[data-preview-action]", function (button) {
      if (button.dataset.previewWired) return;
      button.dataset.previewWired = "1";
      button.addEventListener("click", function () {
        var form = button.form;
        var action = form.getAttribute("action"), target = form.getAttribute("target");
        form.setAttribute("action", button.dataset.previewAction);
        form.setAttribute("target", "_blank");
        HTMLFormElement.prototype.submit.call(form);
        form.setAttribute("action", action);
        if (target === null) form.removeAttribute("target"); else form.setAttribute("target", target);
      });
    });
  }

  // Each step starts where the typing does: on the first field with an error, else the first empty one.
  function focusFirstEmpty(root) {
    each(root, "form[data-focus-first-empty]", function (form) {
      if (form.dataset.focused) return;
      form.dataset.focused = "1";
      var fields = Array.prototype.filter.call(
        form.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea"),
        function (el) { return !el.disabled && el.offsetParent !== null; }
      );
      // A select (a civility, a country) has a sensible default: typing starts in the first empty box.
      var target = fields.find(function (el) { return el.getAttribute("aria-invalid") === "true"; }) ||
        fields.find(function (el) { return el.tagName !== "SELECT" && !el.value; });
      if (target) target.focus();
    });
  }

  // The campaign editor: the SMS's length as it will go (shop name and stop wording included), each field
  // counted as data-allowance characters; which part of the form applies to the channel chosen.
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXT = "^{}\\[~]|€\f";
  function smsCount(text) {
    var units = 0, outside = [];
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      if (GSM7.indexOf(ch) >= 0) units += 1;
      else if (GSM7_EXT.indexOf(ch) >= 0) units += 2;
      else if (outside.indexOf(ch) < 0) outside.push(ch);
    }
    if (!outside.length) return { units: units, segments: units <= 160 ? 1 : Math.ceil(units / 153), encoding: "GSM-7", outside: [] };
    units = 0;
    for (var j = 0; j < text.length; j++) units += text.charCodeAt(j) > 0xffff ? 2 : 1;
    return { units: units, segments: units <= 70 ? 1 : Math.ceil(units / 67), encoding: "UCS-2", outside: outside };
  }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }
  function wireCampaignForm(root) {
    root.querySelectorAll(".campaign-form").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      var body = form.querySelector("textarea[data-sms-counter]");
      var counter = body && document.getElementById(body.dataset.smsCounter);
      function channel() {
        var checked = form.querySelector("input[name=channel]:checked");
        return checked ? checked.value : "email";
      }
      function update() {
        var sms = channel() === "sms";
        form.querySelectorAll(".campaign-form__email").forEach(function (el) { el.hidden = sms; });
        form.querySelectorAll(".campaign-form__sms").forEach(function (el) { el.hidden = !sms; });
        if (!counter || !sms) return;
        var allowance = new Array(Number(counter.dataset.allowance) + 1).join("x");
        var text = counter.dataset.prefix + body.value.trim().replace(/\{\{\s*[^{}]*?\s*\}\}/g, allowance) + "\n" + counter.dataset.suffix;
        var count = smsCount(text);
        var line = fill(count.segments === 1 ? counter.dataset.one : counter.dataset.many, { chars: count.units, segments: count.segments, encoding: count.encoding });
        if (count.outside.length) line += " · " + fill(counter.dataset.ucs, { chars: count.outside.join(" ") });
        if (count.segments > Number(counter.dataset.max)) line += " · " + counter.dataset.over;
        counter.textContent = line;
        counter.classList.toggle("sms-counter--over", count.segments > Number(counter.dataset.max));
      }
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      update();
    });
  }

  function wireAll(root) {
    wireCampaignForm(root);
    wirePreview(root);
    focusFirstEmpty(root);
    wireAutosubmit(root);
    wireTypeSwitch(root);
    wireSendForm(root);
    wireDialogs(root);
    wireTill(root);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.body.addEventListener("customer-saved", function () {
      var dialog = document.querySelector("dialog[open]");
      if (dialog) dialog.close();
    });
  });
  document.addEventListener("htmx:load", function (event) { wireAll(event.target); });

  // The checkout's scan box. A barcode scanner types the next code as soon as it sent Enter, often before
  // the screen answered: each line is taken from the form when Enter comes (the box empties at once, and is
  // kept through the swaps), then the lines go to the server one after the other, none lost, none twice.
  var scanQueue = [];
  var scanBusy = false;
  function scanPump() {
    if (scanBusy || !scanQueue.length || !window.htmx) return;
    scanBusy = true;
    var next = scanQueue.shift();
    window.htmx.ajax("POST", next.url, { target: "#loyalty", swap: "outerHTML", values: next.values })
      .catch(function () {})
      .then(function () { scanBusy = false; scanPump(); });
  }
  // What the scanner typed while the section was on its way is put back into the new box, focused.
  var scanTyped = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var box = document.querySelector("form[data-scan] [data-scan-code]");
    scanTyped = box && document.activeElement === box ? box.value : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (scanTyped === null) return;
    var box = document.querySelector("form[data-scan] [data-scan-code]");
    if (box) {
      box.value = scanTyped;
      box.focus();
    }
    scanTyped = null;
  });

  // Delegated from the document: a form swapped in a moment ago is handled before anything wires it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!window.htmx || !form.matches || !form.matches("form[data-scan]")) return;
    event.preventDefault();
    var values = {};
    new FormData(form).forEach(function (value, name) { values[name] = value; });
    var code = form.querySelector("[data-scan-code]");
    if (code) code.value = "";
    scanQueue.push({ url: form.action, values: values });
    scanPump();
  });
})();
