// Stage settings: reorder rows by drag and drop (the ↑/↓ buttons do the same without a mouse).
(function () {
  "use strict";
  var dragged = null;

  // htmx "settles" the style attribute by copying it onto swapped-in elements with the same id;
  // with our CSSOM-set colours that is an inline style the CSP blocks. Colours are re-applied below.
  htmx.config.attributesToSettle = ["class", "width", "height"];
  function applyColors() {
    document.querySelectorAll("[data-color]").forEach(function (el) {
      el.style.setProperty("--item-color", el.dataset.color);
    });
  }
  document.addEventListener("htmx:oobAfterSwap", applyColors);
  document.addEventListener("htmx:afterSettle", applyColors);

  document.addEventListener("dragstart", function (event) {
    var row = event.target.closest && event.target.closest(".stage-row[draggable=true]");
    if (!row) { return; }
    dragged = row;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.stageId);
  });

  document.addEventListener("dragover", function (event) {
    var row = event.target.closest && event.target.closest(".stage-row");
    if (!dragged || !row || row === dragged) { return; }
    event.preventDefault();
    document.querySelectorAll(".stage-row.drop-before").forEach(function (el) { el.classList.remove("drop-before"); });
    row.classList.add("drop-before");
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    document.querySelectorAll(".stage-row.drop-before").forEach(function (el) { el.classList.remove("drop-before"); });
  });

  document.addEventListener("drop", function (event) {
    var row = event.target.closest && event.target.closest(".stage-row");
    if (!dragged || !row || row === dragged) { return; }
    event.preventDefault();
    row.parentNode.insertBefore(dragged, row);
    var list = row.closest(".stage-list");
    var ids = Array.prototype.map.call(list.querySelectorAll(".stage-row"), function (el) {
      return el.dataset.stageId;
    });
    htmx.ajax("POST", list.dataset.reorderUrl, {
      target: "#stage-list",
      swap: "outerHTML",
      values: { stage_ids: ids.join(",") },
    });
  });
})();
