// Dialogs: the "somebody changed this annotation meanwhile" conflict dialog and the shortcuts list.

import { outbox } from "./api.js";
import { renderAnnotationList } from "./labellist.js";
import { describeVector, state } from "./page.js";
import { recordFrom } from "./records.js";
import { markDirty } from "./canvasview.js";

const $ = window.jQuery;

export function showNextConflict() {
  const op = outbox.conflicts()[0];
  const dialog = document.getElementById("conflict-dialog");
  const modal = window.bootstrap.Modal.getOrCreateInstance(dialog);
  if (!op) {
    state.conflictShown = null;
    modal.hide();
    return;
  }
  if (state.conflictShown === op.opId) return;
  state.conflictShown = op.opId;
  const current = op.current;
  const mine =
    op.kind === "delete"
      ? "Delete it"
      : Object.entries(op.fields)
          .map(([name, value]) => `${name}: ${name === "vector" ? describeVector(value) : JSON.stringify(value)}`)
          .join("\n");
  const theirs = current
    ? [
        `type: ${current.annotation_type.name}`,
        `vector: ${describeVector(current.vector)}`,
        `concealed: ${current.concealed_flag}`,
        `blurred: ${current.blurred_flag}`,
        `attributes: ${JSON.stringify(current.attributes || {})}`,
        `version ${current.version}, last edited by ${current.last_editor || current.creator}`,
      ].join("\n")
    : "(deleted)";
  $("#conflict-mine").text(mine);
  $("#conflict-theirs").text(theirs);
  $("#conflict-dialog").data("opId", op.opId);
  modal.show();
}

$("#conflict-mine-button").on("click", () => resolveConflict("mine"));
$("#conflict-theirs-button").on("click", () => resolveConflict("theirs"));

export function resolveConflict(choice) {
  const opId = $("#conflict-dialog").data("opId");
  const op = outbox.ops.find((candidate) => candidate.opId === opId);
  state.conflictShown = null;
  window.bootstrap.Modal.getOrCreateInstance(document.getElementById("conflict-dialog")).hide();
  if (!op) return;
  const current = op.current;
  outbox.resolve(opId, choice);
  if (choice === "theirs" && op.imageId === state.image.id) {
    if (current) state.records.set(op.uuid, recordFrom(current));
    else state.records.delete(op.uuid);
    markDirty();
    renderAnnotationList();
  }
  setTimeout(showNextConflict, 400);
}

// --- keyboard --------------------------------------------------------------------------------------------

export function modalOpen() {
  return document.querySelector(".modal.show") !== null;
}

export function toggleShortcuts() {
  window.bootstrap.Modal.getOrCreateInstance(document.getElementById("shortcuts-dialog")).toggle();
}

$("#shortcuts-button").on("click", toggleShortcuts);

