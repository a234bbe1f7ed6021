// The pipeline board: drag a card to another column to change its stage (SortableJS).
// The move posts to the board's move view (services.change_stage, with the version the card was
// shown with). On success the board reloads its totals; on a refusal (stale version, not
// allowed, a lost stage without a reason) the card goes back where it was, with the message.
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function showMessage(text, kind) {
    const box = document.getElementById("board-message");
    if (!box) return;
    box.innerHTML = "";
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} alert-dismissible fade show py-2`;
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    alert.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.dataset.bsDismiss = "alert";
    alert.appendChild(close);
    box.appendChild(alert);
  }

  function putBack(evt) {
    const cards = evt.from.querySelectorAll(".board-card");
    const before = cards[evt.oldDraggableIndex] || evt.from.querySelector(".board-more");
    evt.from.insertBefore(evt.item, before || null);
  }

  function refreshBoard(board) {
    if (window.htmx) {
      window.htmx.ajax("GET", board.dataset.boardUrl, { target: "#board", swap: "outerHTML" });
    }
  }

  function askLostReason() {
    const dialog = document.getElementById("lost-reason-dialog");
    const select = document.getElementById("lost-reason-select");
    return new Promise((resolve) => {
      if (!dialog || typeof dialog.showModal !== "function") {
        resolve(null);
        return;
      }
      select.value = "";
      dialog.returnValue = "";
      dialog.addEventListener(
        "close",
        () => resolve(dialog.returnValue === "confirm" && select.value ? select.value : null),
        { once: true },
      );
      dialog.showModal();
      select.focus();
    });
  }

  async function move(board, evt, lostReason) {
    const card = evt.item;
    const body = new FormData();
    body.append("stage", evt.to.dataset.stage);
    body.append("version", card.dataset.version);
    if (lostReason) body.append("lost_reason", lostReason);
    const url = board.dataset.moveUrl.replace(/\/0\/$/, `/${card.dataset.id}/`);
    let response;
    let answer = {};
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json().catch(() => ({}));
    } catch (error) {
      response = null;
    }
    if (response && response.ok) {
      card.dataset.version = answer.version;
      showMessage(answer.detail || "", "success");
      refreshBoard(board);
      return;
    }
    putBack(evt);
    showMessage((answer && answer.detail) || board.dataset.failed, "danger");
  }

  function onEnd(evt) {
    if (evt.from === evt.to) return;
    const board = document.getElementById("board");
    if (evt.to.dataset.stageKind === "lost") {
      askLostReason().then((reason) => {
        if (reason) move(board, evt, reason);
        else putBack(evt);
      });
      return;
    }
    move(board, evt, null);
  }

  function initBoard(root) {
    if (!window.Sortable) return;
    (root || document).querySelectorAll(".board-cards").forEach((column) => {
      if (column.dataset.sortable) return;
      column.dataset.sortable = "1";
      window.Sortable.create(column, {
        group: "board",
        draggable: ".board-card",
        filter: ".board-more",
        animation: 120,
        ghostClass: "opacity-50",
        sort: false,
        // Pointer events rather than the browser's native drag and drop, which differs
        // between browsers and on touch screens.
        forceFallback: true,
        fallbackOnBody: true,
        onEnd,
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => initBoard(document));
  // After htmx swaps in a new board (filters, a refresh after a move), wire its columns.
  document.addEventListener("htmx:load", (event) => initBoard(event.target));
})();
