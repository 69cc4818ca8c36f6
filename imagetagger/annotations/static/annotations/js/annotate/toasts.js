// Toasts: short notices in the corner (above the phone's bottom bar) with an optional action button,
// e.g. "The car label was deleted. [Undo]". They never block: the page stays usable, the button is
// reachable with Tab (the notifications region follows the page), and they go away by themselves.

const $ = window.jQuery;
const area = document.getElementById("toast-area");

/**
 * Show a toast: ``text``; ``action`` (a button label) with ``onAction``; ``hint`` (e.g. the key that
 * does the same); ``delay`` in ms (8 s); ``closeOn: "image"`` closes it when another image opens.
 */
export function showToast({ text, action = null, onAction = null, hint = "", delay = 8000, closeOn = null }) {
  const $toast = $("<div>", { class: "toast align-items-center text-bg-dark border-0", role: "status", "aria-live": "polite", "aria-atomic": "true" });
  if (closeOn) $toast.attr("data-close-on", closeOn);
  const $body = $("<div>", { class: "d-flex align-items-center gap-2 p-2" }).append($("<div>", { class: "me-auto toast-text" }).text(text));
  if (action) {
    const $button = $("<button>", { type: "button", class: "btn btn-sm btn-light toast-action" }).text(action);
    if (hint) $button.attr("title", hint);
    $button.on("click", () => {
      if (onAction) onAction();
      window.bootstrap.Toast.getOrCreateInstance($toast[0]).hide();
    });
    $body.append($button);
    if (hint) $body.append($("<span>", { class: "small text-white-50 d-none d-md-inline" }).text(hint));
  }
  $body.append($("<button>", { type: "button", class: "btn-close btn-close-white", "data-bs-dismiss": "toast", "aria-label": "Close" }));
  $toast.append($body);
  $(area).append($toast);
  $toast.on("hidden.bs.toast", () => $toast.remove());
  window.bootstrap.Toast.getOrCreateInstance($toast[0], { delay, autohide: true }).show();
  return $toast[0];
}

/** Close the toasts that belong to the image shown until now. */
export function closeImageToasts() {
  for (const toast of area.querySelectorAll('.toast[data-close-on="image"]')) {
    window.bootstrap.Toast.getOrCreateInstance(toast).hide();
  }
}
