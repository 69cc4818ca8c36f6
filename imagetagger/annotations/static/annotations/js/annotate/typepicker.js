// The type picker, the flags (not in image, concealed, blurred), the edit banner, the coordinates
// and the undo buttons.

import { VECTOR_TYPE } from "../geometry.js";
import { currentType, editor, state } from "./page.js";
import { renderAttributes } from "./attrpanel.js";
import { markDirty } from "./canvasview.js";
import { renderCurrentType } from "./legend.js";

const $ = window.jQuery;

// --- the type, flags and coordinates ---------------------------------------------------------------

export function onTypeChanged() {
  const type = currentType();
  editor.setType(type ? type.vector_type : VECTOR_TYPE.BOX, type ? type.node_count : 0);
  editor.takeChange();
  state.niiEdit = null;
  $("#concealed").prop("disabled", !type || !type.enable_concealed);
  $("#blurred").prop("disabled", !type || !type.enable_blurred);
  const hints = {
    [VECTOR_TYPE.BOX]: "Drag to draw a box; drag its handles to resize it.",
    [VECTOR_TYPE.POINT]: "Click to place the point.",
    [VECTOR_TYPE.LINE]: "Click the start, then the end of the line.",
    [VECTOR_TYPE.MULTI_LINE]: "Click each vertex; Enter, Esc or a double click ends the line.",
    [VECTOR_TYPE.POLYGON]:
      type && type.node_count
        ? `Click the ${type.node_count} vertices; the polygon closes by itself.`
        : "Click each vertex; click the first one (or Enter) to close the polygon.",
  };
  $("#tool-hint").text(type ? hints[type.vector_type] || "" : "");
  renderCurrentType();
  renderEditState();
  markDirty();
  renderCoordinates();
}

$("#annotation-type").on("change", function onTypeSelect() {
  this.blur();
  onTypeChanged();
});
$("#show-all-types").on("change", function onShowAll() {
  this.blur();
  markDirty();
});
$("#not-in-image").on("change", function onNii() {
  this.blur();
  setNotInImage(this.checked);
});
$("#concealed, #blurred, #keep-selection").on("change", function onFlag() {
  this.blur();
});

export function setNotInImage(checked) {
  $("#not-in-image").prop("checked", checked);
  if (checked) {
    if (editor.editingKey) state.niiEdit = editor.editingKey;
    editor.clear();
    editor.takeChange();
    $("#concealed, #blurred").prop("checked", false);
  } else {
    state.niiEdit = null;
  }
  $("#concealed").prop("disabled", checked || !currentType()?.enable_concealed);
  $("#blurred").prop("disabled", checked || !currentType()?.enable_blurred);
  renderEditState();
  renderCoordinates();
  markDirty();
}

export function editingUuid() {
  return editor.editingKey || state.niiEdit;
}

export function renderEditState() {
  const uuid = editingUuid();
  const record = uuid ? state.records.get(uuid) : null;
  $("#edit-banner").prop("hidden", !record);
  $("#edit-banner-id").text(record ? (record.id ? `#${record.id}` : "(unsent)") : "");
  $("#delete-button").prop("disabled", !record);
  for (const item of document.querySelectorAll("#annotation-list .list-group-item")) {
    item.classList.toggle("active", Boolean(uuid) && item.dataset.uuid === uuid);
  }
  renderAttributes();
}

export function renderCoordinates() {
  const $coordinates = $("#coordinates");
  if ($("#not-in-image").prop("checked")) {
    $coordinates.text("not in image");
    return;
  }
  const selection = editor.selection;
  if (!selection) {
    $coordinates.text("–");
    return;
  }
  $coordinates.text(selection.points.map((p, index) => `x${index + 1}: ${p.x}, y${index + 1}: ${p.y}`).join("\n"));
}

export function renderUndoButtons() {
  $("#undo-button").prop("disabled", !state.history.canUndo);
  $("#redo-button").prop("disabled", !state.history.canRedo);
}

