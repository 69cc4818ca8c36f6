// Saving, deleting, resetting, undo/redo and "keep selection for the next image".

import { clampPoint, pointsToVector, validateShape, vectorToPoints } from "../geometry.js";
import { attributesForNew, attributesForType } from "./attrpanel.js";
import { renderAnnotationList } from "./labellist.js";
import { step } from "./navigation.js";
import { canAnnotate, canDelete, canEdit, currentType, editor, newUuid, showMessage, state, typeById } from "./page.js";
import { changedFields, createRecord, deleteRecord, fieldsOf, updateRecord } from "./records.js";
import { editingUuid, onTypeChanged, renderCoordinates, renderEditState, renderUndoButtons, setNotInImage } from "./typepicker.js";
import { markDirty } from "./canvasview.js";

const $ = window.jQuery;

// --- saving, deleting, undo --------------------------------------------------------------------------

export function save() {
  if (!canAnnotate) return true;
  const type = currentType();
  if (!type) {
    showMessage("You have to choose a type for the annotation.", "warning");
    return false;
  }
  const nii = $("#not-in-image").prop("checked");
  const uuid = editingUuid();
  const record = uuid ? state.records.get(uuid) : null;
  let vector = null;
  if (!nii) {
    if (!editor.selection) return true; // nothing to save
    const problem = editor.problem();
    if (problem) {
      showMessage(problem, "warning");
      return false;
    }
    vector = pointsToVector(editor.finishedPoints());
  }
  const fields = {
    annotation_type: type.id,
    vector,
    concealed: !nii && type.enable_concealed && $("#concealed").prop("checked"),
    blurred: !nii && type.enable_blurred && $("#blurred").prop("checked"),
  };
  if (record) {
    if (!canEdit) {
      showMessage("You may not change annotations of this image set.", "warning");
      return false;
    }
    const changed = changedFields(record, fields);
    if ("annotation_type" in changed) changed.attributes = attributesForType(record.attributes, type);
    if (Object.keys(changed).length) {
      const before = {};
      for (const name of Object.keys(changed)) before[name] = fieldsOf(record)[name];
      updateRecord(record.uuid, changed);
      state.history.push({ kind: "update", uuid: record.uuid, before, after: changed });
    }
  } else {
    const attributes = attributesForNew(type);
    if (attributes === null) {
      showMessage(`Fill in the attributes of the new ${type.name} label first (beside the image).`, "warning");
      return false;
    }
    const created = { uuid: newUuid(), typeId: type.id, ...fields, attributes };
    delete created.annotation_type;
    createRecord(created);
    state.history.push({ kind: "create", record: { ...created } });
  }
  state.lastSaved = { typeId: type.id, points: vector ? vectorToPoints(vector) : null };
  editor.clear();
  state.niiEdit = null;
  $("#not-in-image").prop("checked", false);
  setNotInImage(false);
  afterEditorChange({ record: false });
  renderAnnotationList();
  return true;
}

export function deleteCurrent() {
  if (!canDelete) return;
  const uuid = editingUuid();
  const record = uuid ? state.records.get(uuid) : null;
  if (!record) {
    showMessage("Choose an annotation to delete first (click it).", "info");
    return;
  }
  if (!window.confirm("Do you really want to delete the annotation?")) return;
  const snapshot = { uuid: record.uuid, ...fieldsOf(record) };
  snapshot.typeId = record.typeId;
  delete snapshot.annotation_type;
  deleteRecord(uuid);
  state.history.push({ kind: "delete", record: snapshot });
  editor.clear();
  state.niiEdit = null;
  $("#not-in-image").prop("checked", false);
  afterEditorChange({ record: false });
  renderAnnotationList();
}

export function reset() {
  editor.clear();
  state.niiEdit = null;
  state.highlight = null;
  setNotInImage(false);
  afterEditorChange();
}

export function revert(entry, direction) {
  const undoing = direction === "undo";
  if (entry.kind === "selection") {
    editor.restore(undoing ? entry.before : entry.after);
    state.niiEdit = null;
    $("#not-in-image").prop("checked", false);
  } else if (entry.kind === "create") {
    if (undoing) deleteRecord(entry.record.uuid);
    else createRecord(entry.record);
  } else if (entry.kind === "delete") {
    if (undoing) createRecord(entry.record);
    else deleteRecord(entry.record.uuid);
  } else if (entry.kind === "update") {
    updateRecord(entry.uuid, undoing ? entry.before : entry.after);
    if (editor.editingKey === entry.uuid) editor.clear();
  }
  editor.takeChange();
  afterEditorChange({ record: false });
  renderAnnotationList();
}

export function undo() {
  if (editor.drag) return;
  const entry = state.history.undo();
  if (entry) revert(entry, "undo");
  else showMessage("Nothing to undo on this image.", "info");
}

export function redo() {
  if (editor.drag) return;
  const entry = state.history.redo();
  if (entry) revert(entry, "redo");
  else showMessage("Nothing to redo on this image.", "info");
}

$("#save-button").on("click", () => save());
$("#save-next-button").on("click", () => saveAndGo(1));
$("#save-previous-button").on("click", () => saveAndGo(-1));
$("#next-button").on("click", () => step(1));
$("#previous-button").on("click", () => step(-1));
$("#reset-button, #edit-cancel").on("click", reset);
$("#delete-button").on("click", deleteCurrent);
$("#undo-button").on("click", undo);
$("#redo-button").on("click", redo);
export function saveAndGo(delta) {
  state.lastSaved = null;
  if (!save()) return;
  state.keep = $("#keep-selection").prop("checked") && state.lastSaved ? state.lastSaved : null;
  step(delta);
}

/** "Keep selection for next image": the saved geometry (or "not in image") as a new, unsaved selection. */
export function applyKeptSelection() {
  const keep = state.keep;
  state.keep = null;
  if (!$("#keep-selection").prop("checked")) $("#concealed, #blurred").prop("checked", false);
  if (!keep || !canAnnotate) {
    setNotInImage(false);
    return;
  }
  if (keep.typeId !== currentType()?.id && typeById.has(keep.typeId)) {
    $("#annotation-type").val(String(keep.typeId));
    onTypeChanged();
  }
  if (!keep.points) {
    setNotInImage(true);
    return;
  }
  setNotInImage(false);
  const type = currentType();
  const points = keep.points.map((p) => clampPoint(p, state.image.width, state.image.height));
  if (type && !validateShape(type.vector_type, type.node_count, points, state.image.width, state.image.height)) {
    editor.place(points);
  }
}

export function afterEditorChange({ record = true } = {}) {
  const change = editor.takeChange();
  if (change && record) state.history.push({ kind: "selection", ...change });
  renderEditState();
  renderCoordinates();
  renderUndoButtons();
  markDirty();
}

