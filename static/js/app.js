// Small behaviours the pages share. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  // Colours come from data (stage colours); CSP blocks style="" attributes, the CSSOM is fine.
  function applyColors(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      el.style.setProperty("--item-color", el.dataset.color);
    });
  }

  // Buttons and links with data-confirm ask before they act.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { applyColors(document); });
  document.addEventListener("htmx:afterSwap", function (event) { applyColors(event.target); });

  // A failed htmx request shows a message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    var status = event.detail.xhr.status;
    alert.textContent = status === 403 ? box.dataset.forbidden : box.dataset.failed;
    box.replaceChildren(alert);
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.textContent = box.dataset.offline;
    box.replaceChildren(alert);
  });
})();
