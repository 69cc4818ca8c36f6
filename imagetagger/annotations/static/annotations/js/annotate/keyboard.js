// Keyboard shortcuts of the annotate page (spec §7.1.8; the list is in the shortcuts dialog).

import { isTyping } from "../../../base/js/site.js";
import { renderAttributes } from "./attrpanel.js";
import { pickByKey } from "./legend.js";
import { fitToCanvas, zoomBy, zoomTo } from "./canvasview.js";
import { modalOpen, toggleShortcuts } from "./dialogs.js";
import { afterEditorChange, deleteCurrent, redo, reset, save, saveAndGo, undo } from "./editing.js";
import { step } from "./navigation.js";
import { ZOOM_STEP, canAnnotate, canEdit, canvas, editor, state } from "./page.js";
import { acceptProposal } from "./proposal.js";
import { setNotInImage } from "./typepicker.js";
import { arrangeKey } from "./arrange.js";
import { assistKey } from "./assist.js";
import { viewKey } from "./viewtools.js";

const $ = window.jQuery;

export function toggleFlag(selector) {
  const $box = $(selector);
  if ($box.length && !$box.prop("disabled")) $box.prop("checked", !$box.prop("checked"));
}

document.addEventListener("keydown", (event) => {
  if (isTyping(event.target)) return;
  if (event.target instanceof Element && event.target.closest("#attributes-panel")) return;
  const key = event.key;
  if (modalOpen()) {
    const shortcuts = document.getElementById("shortcuts-dialog");
    if ((key === "?" || key === "Escape") && shortcuts.classList.contains("show")) {
      event.preventDefault();
      window.bootstrap.Modal.getOrCreateInstance(shortcuts).hide();
    }
    return;
  }
  const lower = key.length === 1 ? key.toLowerCase() : key;
  // The view tools' keys (Shift+R/E/F/O), arranging (Tab, [, ], Ctrl+D, Esc of a group) and the
  // one-click shapes (o, w, Esc leaving their mode) come first.
  if (viewKey(event) || arrangeKey(event) || assistKey(event)) {
    event.preventDefault();
    return;
  }
  if ((event.ctrlKey || event.metaKey) && !event.altKey) {
    if (lower === "z") {
      event.preventDefault();
      if (event.shiftKey) redo();
      else undo();
    } else if (lower === "y") {
      event.preventDefault();
      redo();
    }
    return;
  }
  if (event.altKey) return;
  if (key === " ") {
    event.preventDefault();
    state.spaceDown = true;
    canvas.classList.add("pan-ready");
    return;
  }
  if (key === "?") {
    event.preventDefault();
    toggleShortcuts();
    return;
  }
  if (/^[0-9]$/.test(key)) {
    if (!event.repeat) pickByKey(key);
    return;
  }
  if (lower === "e" && !event.shiftKey && !$("#attributes-panel").prop("hidden")) {
    event.preventDefault(); // into the attribute fields (Tab on the canvas goes through the labels)
    renderAttributes({ focus: true });
    return;
  }
  if (["i", "j", "k", "l"].includes(lower)) {
    if (!canAnnotate && !canEdit) return;
    event.preventDefault();
    const result = editor.key(lower, { shift: event.shiftKey });
    if (result.redraw) afterEditorChange();
    return;
  }
  if (key === "+" || key === "=") return zoomBy(ZOOM_STEP);
  if (key === "-" || key === "_") return zoomBy(1 / ZOOM_STEP);
  if (key === "Home") {
    event.preventDefault();
    if (event.shiftKey) zoomTo(1);
    else fitToCanvas();
    return;
  }
  if (key === "Escape" || key === "Enter" || key === "Backspace") {
    const result = editor.key(key);
    if (result.handled) {
      event.preventDefault();
      if (result.cancelled) {
        state.niiEdit = null;
        state.highlight = null;
      }
      afterEditorChange();
    } else if (key === "Escape") {
      reset();
    } else if (key === "Enter" && state.proposal && acceptProposal()) {
      event.preventDefault(); // Enter saves a kept selection shown as a proposal
    }
    return;
  }
  if (event.repeat) return;
  const actions = {
    v: () => save({ proposal: true }),
    f: () => saveAndGo(1),
    a: () => saveAndGo(-1),
    d: () => step(1),
    s: () => step(-1),
    r: () => reset(),
    g: () => canAnnotate && setNotInImage(!$("#not-in-image").prop("checked")),
    b: () => toggleFlag("#blurred"),
    c: () => toggleFlag("#concealed"),
    Delete: () => deleteCurrent(),
  };
  const action = actions[lower];
  if (action) {
    event.preventDefault();
    action();
  }
});

document.addEventListener("keyup", (event) => {
  if (event.key === " ") {
    state.spaceDown = false;
    canvas.classList.remove("pan-ready");
  }
});

window.addEventListener("blur", () => {
  state.spaceDown = false;
  canvas.classList.remove("pan-ready");
});

