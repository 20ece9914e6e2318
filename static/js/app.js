// Small behaviours the pages share. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  // Colours come from data (stage colours); CSP blocks style="" attributes, the CSSOM is fine.
  function applyColors(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      el.style.setProperty("--item-color", el.dataset.color);
    });
  }

  // Charts (ui/charts.py) carry each value in an SVG <title>: a tooltip on hover, but a touch
  // screen never shows it. A tap (or click) on a point writes its value under the chart.
  document.addEventListener("click", function (event) {
    var point = event.target.closest && event.target.closest("svg.chart g.point, svg.chart g[data-tip]");
    if (!point) { return; }
    var title = point.querySelector("title");
    var svg = point.closest("svg.chart");
    if (!title || !svg) { return; }
    var tip = svg.nextElementSibling;
    if (!tip || !tip.classList.contains("chart-tip")) {
      tip = document.createElement("p");
      tip.className = "chart-tip";
      tip.setAttribute("aria-live", "polite");
      svg.parentNode.insertBefore(tip, svg.nextSibling);
    }
    tip.textContent = title.textContent;
    svg.querySelectorAll("g.point.active").forEach(function (el) { el.classList.remove("active"); });
    point.classList.add("active");
  });

  // Buttons and links with data-confirm ask before they act.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Tab bars that scroll sideways on a phone (client page, program weeks) keep the chosen tab in
  // view. The bars are position: relative, so a tab's offsetLeft is measured from its bar.
  function showSelectedTabs() {
    document.querySelectorAll("[role=tablist]").forEach(function (bar) {
      var tab = bar.querySelector("[aria-selected=true]");
      if (tab && bar.scrollWidth > bar.clientWidth) {
        bar.scrollLeft = tab.offsetLeft - (bar.clientWidth - tab.offsetWidth) / 2;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { applyColors(document); showSelectedTabs(); });
  document.addEventListener("htmx:afterSwap", function (event) { applyColors(event.target); });
  document.addEventListener("htmx:afterSettle", showSelectedTabs);

  // --- Top bar search: Ctrl-K (or "/") focuses it; results drop down as you type (htmx);
  // arrows move through them, Enter opens, Escape closes.
  function searchParts() {
    var input = document.getElementById("top-search");
    return input ? { input: input, box: document.getElementById("search-results") } : null;
  }
  function searchOptions(box) { return Array.prototype.slice.call(box.querySelectorAll("[role=option]")); }
  function showResults(parts, show) {
    parts.box.hidden = !show;
    parts.input.setAttribute("aria-expanded", show ? "true" : "false");
  }
  function moveActive(parts, step) {
    var options = searchOptions(parts.box);
    if (!options.length) { return; }
    var index = options.indexOf(document.activeElement);
    var next = index + step;
    if (next < 0) { parts.input.focus(); return; }
    options[Math.min(next, options.length - 1)].focus();
  }
  document.addEventListener("keydown", function (event) {
    var parts = searchParts();
    if (!parts) { return; }
    var typing = /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName) || document.activeElement.isContentEditable;
    if ((event.ctrlKey || event.metaKey) && (event.key === "k" || event.key === "K")) {
      event.preventDefault();
      parts.input.focus();
      parts.input.select();
      return;
    }
    if (event.key === "/" && !typing) {
      event.preventDefault();
      parts.input.focus();
      return;
    }
    var inSearch = parts.input === document.activeElement || parts.box.contains(document.activeElement);
    if (!inSearch) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); showResults(parts, true); moveActive(parts, 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); moveActive(parts, -1); }
    else if (event.key === "Escape" && !parts.box.hidden) {
      // First Escape closes the results and keeps the text; a second one clears it (the browser's own).
      event.preventDefault();
      showResults(parts, false);
      parts.input.focus();
    }
    else if (event.key === "Enter" && document.activeElement === parts.input) {
      var first = searchOptions(parts.box)[0];
      if (first && !parts.box.hidden) { event.preventDefault(); window.location.assign(first.href); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var parts = searchParts();
    if (parts && event.target === parts.box) {
      showResults(parts, parts.input.value.trim() !== "" && parts.box.children.length > 0);
    }
  });
  document.addEventListener("focusin", function (event) {
    var parts = searchParts();
    if (!parts) { return; }
    var form = parts.input.form;
    if (form.contains(event.target)) {
      if (event.target === parts.input && parts.box.children.length && parts.input.value.trim()) { showResults(parts, true); }
    } else { showResults(parts, false); }
  });
  document.addEventListener("click", function (event) {
    var parts = searchParts();
    if (parts && !parts.input.form.contains(event.target)) { showResults(parts, false); }
  });

  // --- Quick add: "+" opens the lead form in a dialog (the link works without script too).
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-quick-add]");
    var dialog = document.getElementById("quick-add");
    if (opener && dialog && window.htmx && dialog.showModal) {
      event.preventDefault();
      window.htmx.ajax("GET", opener.getAttribute("href"), { target: "#quick-add-body", swap: "innerHTML" }).then(function () {
        if (!dialog.open) { dialog.showModal(); }
        var field = dialog.querySelector("input:not([type=hidden])");
        if (field) { field.focus(); }
      });
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) { open.close(); } else { window.history.back(); }
    }
  });

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
