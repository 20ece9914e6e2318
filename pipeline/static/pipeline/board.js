// Kanban board: HTML5 drag and drop posts the move through htmx; the modal opens on a card click.
// The server answers with out-of-band swaps (the card in its new column, fresh column counts);
// a refused move puts the card back and shows the server's message. No inline script (CSP).
(function () {
  "use strict";

  var dragged = null;
  var origin = null;

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

  function showError(text) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    box.replaceChildren(alert);
  }

  function restore(card, from) {
    if (!from || !from.parent) { return; }
    if (from.next && from.next.parentNode === from.parent) {
      from.parent.insertBefore(card, from.next);
    } else {
      from.parent.appendChild(card);
    }
  }

  function openModal(url) {
    htmx.ajax("GET", url, { target: "#move-modal", swap: "innerHTML" });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".kanban-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    origin = { parent: card.parentNode, next: card.nextSibling, column: card.closest(".column") };
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.clientId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    document.querySelectorAll(".column.drop-target").forEach(function (el) {
      el.classList.remove("drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".column");
    if (!dragged || !column) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".column.drop-target").forEach(function (el) {
      if (el !== column) { el.classList.remove("drop-target"); }
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".column");
    if (!dragged || !column) { return; }
    event.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    var from = origin;
    dragged = null;
    if (column === from.column) { return; }
    var stageId = column.dataset.stageId;
    var url = card.dataset.moveUrl;
    if (column.dataset.stageCode === document.getElementById("board-columns").dataset.inactiveCode) {
      // Losing a client needs a reason: ask in the modal instead of moving at once.
      openModal(url + "?stage=" + encodeURIComponent(stageId));
      return;
    }
    // Show the card in its new column at once; the server's answer replaces it (or we undo).
    column.querySelector(".column-cards").prepend(card);
    card.classList.add("moving");
    htmx.ajax("POST", url, {
      source: card,
      swap: "none",
      values: { stage: stageId },
    }).then(function () {
      card.classList.remove("moving");
    });
    card.dataset.pendingFrom = "1";
    card._origin = from;
  });

  // A refused move: put the card back and show the reason the server gave.
  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    var card = elt && elt.closest ? elt.closest(".kanban-card") : null;
    if (!card) { return; }
    var xhr = event.detail.xhr;
    if (card.dataset.pendingFrom) {
      delete card.dataset.pendingFrom;
      card.classList.remove("moving");
      restore(card, card._origin);
    }
    if (xhr.status === 422 && xhr.responseText) {
      showError(xhr.responseText);
    } else if (xhr.status === 404) {
      showError(document.getElementById("board-columns").dataset.notFound);
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail.elt;
    var card = elt && elt.closest ? elt.closest(".kanban-card") : null;
    if (card && card.dataset.pendingFrom) {
      delete card.dataset.pendingFrom;
      restore(card, card._origin);
    }
  });

  // Drag requests include the board filters so the column counts keep matching what is shown.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest(".kanban-card")) { return; }
    var filters = document.getElementById("board-filters");
    if (!filters || event.detail.verb !== "post") { return; }
    new FormData(filters).forEach(function (value, key) {
      if (!(key in event.detail.parameters)) { event.detail.parameters[key] = value; }
    });
  });

  // Clicking a card (not one of its links or buttons) opens the move modal.
  document.addEventListener("click", function (event) {
    var card = event.target.closest(".kanban-card");
    if (!card || event.target.closest("a, button, input, select, textarea, summary, .card-menu")) { return; }
    var opener = card.querySelector(".card-open");
    if (opener) { opener.click(); }
  });

  // The modal opens when content arrives and closes when it is emptied (a successful move).
  function syncModal() {
    var modal = document.getElementById("move-modal");
    if (!modal) { return; }
    var hasContent = modal.children.length > 0;
    if (hasContent && !modal.open) { modal.showModal(); }
    if (!hasContent && modal.open) { modal.close(); }
    if (hasContent) { toggleLost(modal); }
  }
  document.addEventListener("htmx:afterSettle", syncModal);
  document.addEventListener("htmx:oobAfterSwap", syncModal);

  document.addEventListener("click", function (event) {
    var close = event.target.closest(".modal-close");
    var modal = document.getElementById("move-modal");
    if (close && modal && modal.contains(close)) {
      event.preventDefault();
      modal.close();
      modal.replaceChildren();
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target.id === "move-modal") { event.target.replaceChildren(); }
  }, true);

  // Reason fields show only for the Неактивен stage.
  function toggleLost(root) {
    root.querySelectorAll(".move-form, .stage-form").forEach(function (form) {
      var select = form.querySelector(".stage-select");
      var lost = form.querySelector(".lost-fields");
      if (!select || !lost) { return; }
      var option = select.options[select.selectedIndex];
      var isLost = option && option.dataset.code === "inactive";
      lost.hidden = !isLost;
      form.querySelectorAll(".lost-hint").forEach(function (el) { el.hidden = !isLost; });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("stage-select")) {
      toggleLost(event.target.closest("form").parentNode);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { toggleLost(document); });
  document.addEventListener("htmx:afterSwap", function (event) { toggleLost(event.target); });
})();
