// Saving, deleting, resetting, undo/redo and "keep selection for the next image".

import { pointsToVector, vectorToPoints } from "../geometry.js";
import { attributesForNew, attributesForType } from "./attrpanel.js";
import { renderAnnotationList } from "./labellist.js";
import { step } from "./navigation.js";
import { canAnnotate, canDelete, canEdit, currentType, editor, newUuid, showMessage, state, typeById } from "./page.js";
import { acceptProposal, dropProposal, keepSelection, offerProposal } from "./proposal.js";
import { showToast } from "./toasts.js";
import { changedFields, createRecord, deleteRecord, fieldsOf, updateRecord } from "./records.js";
import { editingUuid, renderCoordinates, renderEditState, renderUndoButtons, setNotInImage } from "./typepicker.js";
import { markDirty } from "./canvasview.js";

const $ = window.jQuery;

// --- saving, deleting, undo --------------------------------------------------------------------------

/** ``proposal``: whether a proposal (a kept selection) is saved when nothing else is (v: yes; f, a: no). */
export function save({ proposal = false } = {}) {
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
    if (!editor.selection) {
      if (proposal) acceptProposal(); // a kept selection shown as a proposal: v saves it
      return true; // nothing (else) to save
    }
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
  state.lastSaved = { typeId: type.id, points: vector ? vectorToPoints(vector) : null, concealed: fields.concealed, blurred: fields.blurred };
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
  const snapshot = { uuid: record.uuid, ...fieldsOf(record) };
  snapshot.typeId = record.typeId;
  delete snapshot.annotation_type;
  deleteRecord(uuid);
  const entry = { kind: "delete", record: snapshot };
  state.history.push(entry);
  offerUndo(entry, typeById.get(record.typeId)?.name ?? "label");
  editor.clear();
  state.niiEdit = null;
  $("#not-in-image").prop("checked", false);
  afterEditorChange({ record: false });
  renderAnnotationList();
}

/** The "Label deleted — Undo" toast: its button takes this very deletion back (while on the image). */
function offerUndo(entry, name) {
  const imageId = state.image.id;
  showToast({
    text: `The ${name} label was deleted.`,
    action: "Undo",
    hint: "or Ctrl+Z",
    onAction() {
      if (state.image.id !== imageId) return;
      const done = state.history.done;
      const index = done.lastIndexOf(entry);
      if (index < 0) return; // already undone
      if (index === done.length - 1) {
        undo();
      } else {
        done.splice(index, 1);
        revert(entry, "undo");
      }
    },
    closeOn: "image",
  });
}

export function reset() {
  dropProposal();
  editor.clear();
  state.niiEdit = null;
  state.highlight = null;
  setNotInImage(false);
  afterEditorChange();
}

export function revert(entry, direction) {
  const undoing = direction === "undo";
  if (entry.kind === "batch") {
    // Several changes made as one (labels moved together, arrange.js): one undo step.
    const parts = undoing ? [...entry.entries].reverse() : entry.entries;
    for (const part of parts) revert(part, direction);
    return;
  }
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

$("#save-button").on("click", () => save({ proposal: true }));
$("#save-next-button").on("click", () => saveAndGo(1));
$("#save-previous-button").on("click", () => saveAndGo(-1));
$("#next-button").on("click", () => step(1));
$("#previous-button").on("click", () => step(-1));
$("#reset-button, #edit-cancel").on("click", reset);
$("#delete-button").on("click", deleteCurrent);
$("#undo-button").on("click", undo);
$("#redo-button").on("click", redo);
export function saveAndGo(delta) {
  if (!save()) return; // moving on drops a proposal, unsaved
  // What was saved last on this image (drawn, or a proposal accepted) is offered on the next one.
  state.keep = keepSelection() && state.lastSaved ? state.lastSaved : null;
  step(delta);
}

/** On a newly opened image: flags back to off; what was kept from the last image becomes a proposal. */
export function applyKeptSelection() {
  const keep = state.keep;
  state.keep = null;
  state.lastSaved = null;
  $("#concealed, #blurred").prop("checked", false);
  setNotInImage(false);
  offerProposal(keep);
}

export function afterEditorChange({ record = true } = {}) {
  const change = editor.takeChange();
  if (change && record) state.history.push({ kind: "selection", ...change });
  renderEditState();
  renderCoordinates();
  renderUndoButtons();
  markDirty();
}

