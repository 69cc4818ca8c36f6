// Dialogs: the comparison dialog — "somebody changed this annotation meanwhile" (412: choose yours or
// theirs) and "a similar label exists already" (409) — with both versions drawn on the image side by
// side and every field of both listed; and the shortcuts list.

import { summary } from "../attrform.js";
import { drawShapes } from "../draw.js";
import { boundsOf, vectorToPoints } from "../geometry.js";
import { outbox } from "./api.js";
import { renderAnnotationList } from "./labellist.js";
import { describeVector, state, typeById } from "./page.js";
import { fieldsOf, recordFrom } from "./records.js";
import { markDirty } from "./canvasview.js";

const $ = window.jQuery;

const MINE_COLOR = "#00c8ff";
const THEIRS_COLOR = "#ff9f1a";

function typeName(typeId) {
  return typeById.get(typeId)?.name ?? (typeId ? `type ${typeId}` : "–");
}

function yesNo(value) {
  return value ? "yes" : "no";
}

/** Every field of a version, as rows [label, text], and what is needed to draw it. */
function describeVersion({ typeId, vector, concealed, blurred, attributes, version, editor }) {
  const type = typeById.get(typeId);
  return {
    typeId,
    vector,
    rows: [
      ["Type", typeName(typeId)],
      ["Vector", describeVector(vector)],
      ["Concealed", yesNo(concealed)],
      ["Blurred", yesNo(blurred)],
      ["Attributes", summary(attributes || {}, type?.attributes) || JSON.stringify(attributes || {})],
      ["Version", version ? String(version) : "–"],
      ["Edited by", editor || "–"],
    ],
  };
}

/** The page's version of the op's annotation: its record with the op's fields (yours). */
function mineOf(op) {
  const record = state.records.get(op.uuid);
  const fields = { ...(record ? fieldsOf(record) : {}), ...(op.fields || {}) };
  const mine = describeVersion({
    typeId: fields.annotation_type,
    vector: fields.vector,
    concealed: fields.concealed,
    blurred: fields.blurred,
    attributes: fields.attributes,
    version: op.version ?? record?.version,
    editor: "you",
  });
  if (op.kind === "delete") mine.rows.unshift(["Your change", "delete it"]);
  return mine;
}

function theirsOf(current) {
  if (!current) return { typeId: null, vector: null, rows: [["Now", "deleted"]] };
  return describeVersion({
    typeId: current.annotation_type?.id ?? current.annotation_type,
    vector: current.vector,
    concealed: current.concealed_flag,
    blurred: current.blurred_flag,
    attributes: current.attributes,
    version: current.version,
    editor: current.last_editor || current.creator,
  });
}

function recordVersion(record) {
  return describeVersion({ ...fieldsOf(record), typeId: record.typeId, version: record.version, editor: record.creator });
}

function renderFields(element, version, other) {
  const differs = new Map(other.rows);
  $(element)
    .empty()
    .append(
      version.rows.flatMap(([label, text]) => {
        const cls = differs.has(label) && differs.get(label) !== text ? "differs" : "";
        return [$("<dt>", { class: cls }).text(label), $("<dd>", { class: cls }).text(text)];
      }),
    );
}

/** Draw ``version`` (strong) and ``other`` (faint) on the part of the image around both. */
function drawVersion(canvasEl, version, other, color, imageId) {
  const context = canvasEl.getContext("2d");
  const { width, height } = canvasEl;
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.fillStyle = "#1e1e1e";
  context.fillRect(0, 0, width, height);
  const points = [version.vector, other.vector].filter(Boolean).flatMap((vector) => vectorToPoints(vector));
  const imageW = imageId === state.image.id ? state.image.width : Math.max(1, ...points.map((p) => p.x));
  const imageH = imageId === state.image.id ? state.image.height : Math.max(1, ...points.map((p) => p.y));
  let box = { minX: 0, minY: 0, maxX: imageW, maxY: imageH };
  if (points.length) {
    const b = boundsOf(points);
    const margin = Math.max(20, 0.35 * Math.max(b.maxX - b.minX, b.maxY - b.minY));
    box = { minX: Math.max(0, b.minX - margin), minY: Math.max(0, b.minY - margin), maxX: Math.min(imageW, b.maxX + margin), maxY: Math.min(imageH, b.maxY + margin) };
  }
  const scale = Math.min(width / Math.max(1, box.maxX - box.minX), height / Math.max(1, box.maxY - box.minY));
  const view = {
    scale,
    x: (width - (box.maxX - box.minX) * scale) / 2 - box.minX * scale,
    y: (height - (box.maxY - box.minY) * scale) / 2 - box.minY * scale,
  };
  if (imageId === state.image.id && state.bitmap) context.drawImage(state.bitmap, view.x, view.y, imageW * scale, imageH * scale);
  const shape = (v, shapeColor, strong) => {
    const type = typeById.get(v.typeId);
    if (!v.vector || !type) return null;
    return { id: shapeColor, vectorType: type.vector_type, points: vectorToPoints(v.vector), color: shapeColor, current: strong, faint: !strong, dimmed: !strong, machine: !strong };
  };
  const shapes = [shape(other, other === version ? color : color === MINE_COLOR ? THEIRS_COLOR : MINE_COLOR, false), shape(version, color, true)].filter(Boolean);
  drawShapes(context, view, shapes);
  canvasEl.dataset.drawn = String(shapes.length);
}

/** Fill the dialog: both versions drawn side by side and every field of both listed. */
export function showComparison({ title, intro, mine, theirs, imageId, mineTitle = "Yours", theirsTitle = "Theirs (now on the server)", choice = true }) {
  $("#conflict-heading").text(title);
  $("#conflict-intro").text(intro);
  $("#conflict-mine-title").text(mineTitle);
  $("#conflict-theirs-title").text(theirsTitle);
  renderFields("#conflict-mine", mine, theirs);
  renderFields("#conflict-theirs", theirs, mine);
  $("#conflict-mine-button, #conflict-theirs-button").prop("hidden", !choice);
  $("#conflict-close-button").prop("hidden", choice);
  const dialog = document.getElementById("conflict-dialog");
  dialog.dataset.mode = choice ? "conflict" : "similar";
  const modal = window.bootstrap.Modal.getOrCreateInstance(dialog);
  modal._config.keyboard = !choice; // a conflict waits for a choice; Esc closes the "similar" notice
  modal.show();
  const draw = () => {
    drawVersion(document.getElementById("conflict-mine-canvas"), mine, theirs, MINE_COLOR, imageId);
    drawVersion(document.getElementById("conflict-theirs-canvas"), theirs, mine, THEIRS_COLOR, imageId);
  };
  draw();
}

export function showNextConflict() {
  const op = outbox.conflicts()[0];
  const dialog = document.getElementById("conflict-dialog");
  const modal = window.bootstrap.Modal.getOrCreateInstance(dialog);
  if (!op) {
    if (dialog.dataset.mode !== "similar") {
      state.conflictShown = null;
      modal.hide();
    }
    return;
  }
  if (state.conflictShown === op.opId) return;
  state.conflictShown = op.opId;
  $("#conflict-dialog").data("opId", op.opId);
  showComparison({
    title: "Somebody changed this annotation meanwhile",
    intro: "Your change was made to an older version. Both are drawn on the image (yours in blue, theirs in orange) and every field differing is marked. Choose which one to keep.",
    mine: mineOf(op),
    theirs: theirsOf(op.current),
    imageId: op.imageId,
  });
}

/** A 409: the label would be similar to an existing one; both drawn, nothing to choose. */
export function showSimilar(op, other) {
  if (outbox.conflicts().length) return; // a choice waits in the dialog
  const existing = recordVersion(other);
  showComparison({
    title: "A similar label exists already",
    intro: "Yours was not saved: it is too similar to a label of the same type on this image (both drawn below). Your shape is back as the selection; change it or press r to drop it.",
    mine: mineOf(op),
    theirs: existing,
    imageId: op.imageId,
    mineTitle: "Yours (not saved)",
    theirsTitle: `The existing one${other.id ? ` #${other.id}` : ""}`,
    choice: false,
  });
}

$("#conflict-close-button").on("click", () => {
  window.bootstrap.Modal.getOrCreateInstance(document.getElementById("conflict-dialog")).hide();
});
// The Esc that closes the dialog is not for the image (the page's shortcuts would drop the selection).
document.getElementById("conflict-dialog").addEventListener("keydown", (event) => {
  if (event.key === "Escape") event.stopPropagation();
});
document.getElementById("conflict-dialog").addEventListener("hidden.bs.modal", (event) => {
  event.target.dataset.mode = "";
  if (outbox.conflicts().length) setTimeout(showNextConflict, 0);
});

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

/** Whether a dialog or a drawer is open, or still closing (the page's shortcuts then wait: the Esc that closes one is not for the image). */
export function modalOpen() {
  return document.querySelector('.modal.show, .modal[aria-modal="true"], .offcanvas-xl.showing, .offcanvas-md.showing, [aria-modal="true"].offcanvas-xl, [aria-modal="true"].offcanvas-md') !== null;
}

export function toggleShortcuts() {
  window.bootstrap.Modal.getOrCreateInstance(document.getElementById("shortcuts-dialog")).toggle();
}

$("#shortcuts-button").on("click", toggleShortcuts);

