// Arranging labels on the canvas: snapping (the targets the shape editor snaps to, and the mark of
// the one it snapped to), z-order (bring to front / send to back, for this page session only: the
// server keeps no order), duplicating a label, several labels selected with Shift+click and moved
// together (one undo step, saved through the outbox as updates), and Tab / Shift+Tab through the
// image's labels.
//
// Hidden labels are neither snapped to nor selectable; locked ones can be snapped to (their vertices
// are where they are) but never selected, grouped or moved (page.js isVisible / isInteractive).

import { drawSelection } from "../draw.js";
import { imageToScreen, pointsToVector, screenToImage } from "../geometry.js";
import { shapeVertices } from "../snapping.js";
import { bringToFront, duplicatePlace, moveTogether, nextLabel, sendToBack } from "../viewmath.js";
import { afterEditorChange, save } from "./editing.js";
import { colorOf } from "./legend.js";
import { labelAt, renderAnnotationList, startEditing } from "./labellist.js";
import { canAnnotate, canEdit, canvas, editor, isInteractive, isVisible, newUuid, showMessage, state, typeById, wrap } from "./page.js";
import { createRecord, updateRecord } from "./records.js";
import { frameHooks, markDirty, scheduleDraw, screenPoint } from "./canvasview.js";

const $ = window.jQuery;

// --- snapping ------------------------------------------------------------------------------------------

let snapCache = { records: null, version: -1, targets: [] };

/** Every vertex of the drawn labels (a box: its 4 corners), rebuilt when the shapes change. */
export function snapTargets() {
  if (snapCache.records === state.records && snapCache.version === state.layerVersion) return snapCache.targets;
  const targets = [];
  for (const record of state.records.values()) {
    if (!record.points || !isVisible(record)) continue;
    const type = typeById.get(record.typeId);
    if (!type) continue;
    for (const vertex of shapeVertices(type.vector_type, record.points)) targets.push({ ...vertex, key: record.uuid });
  }
  snapCache = { records: state.records, version: state.layerVersion, targets };
  return targets;
}

editor.snapSource = snapTargets;

function drawSnapMark(ctx) {
  const target = editor.snapTarget;
  if (!target || !(editor.drag || editor.drawing)) return;
  const s = imageToScreen(state.view, target);
  ctx.save();
  ctx.setLineDash([]);
  ctx.beginPath();
  if (target.kind === "vertex") ctx.arc(s.x, s.y, 7, 0, Math.PI * 2);
  else ctx.rect(s.x - 6, s.y - 6, 12, 12);
  ctx.lineWidth = 4;
  ctx.strokeStyle = "rgba(0, 0, 0, 0.7)";
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#FFD400";
  ctx.stroke();
  ctx.restore();
}

// --- z-order ---------------------------------------------------------------------------------------------

/** The labels an arranging action applies to: the group, else the one being edited (or shown). */
function chosenLabels() {
  if (state.group.size) return [...state.group].filter((uuid) => state.records.has(uuid));
  const uuid = editor.editingKey ?? state.niiEdit ?? state.highlight;
  return uuid && state.records.has(uuid) ? [uuid] : [];
}

export function changeOrder(front) {
  const chosen = chosenLabels();
  if (!chosen.length) {
    showMessage("Choose a label first (click it), then bring it to the front or send it to the back.", "info");
    return;
  }
  for (const uuid of chosen) (front ? bringToFront : sendToBack)(state.zOrder, uuid);
  markDirty();
}

// --- duplicate -------------------------------------------------------------------------------------------

export function duplicateCurrent() {
  if (!canAnnotate) return;
  const uuid = editor.editingKey;
  if (!uuid) {
    showMessage("Choose a label to duplicate first (click it).", "info");
    return;
  }
  if (!save()) return; // the label's pending change first; this also ends its editing
  const record = state.records.get(uuid);
  if (!record || !record.points) return;
  const others = [...state.records.values()].filter((other) => other.typeId === record.typeId && other.points).map((other) => other.points);
  const points = duplicatePlace(record.points, others, state.image.width, state.image.height);
  if (!points) {
    showMessage("There is no room beside this label for a copy inside the image.", "warning");
    return;
  }
  const copy = {
    uuid: newUuid(),
    typeId: record.typeId,
    vector: pointsToVector(points),
    concealed: record.concealed,
    blurred: record.blurred,
    attributes: { ...(record.attributes || {}) },
  };
  createRecord(copy);
  state.history.push({ kind: "create", record: { ...copy } });
  if (state.zOrder.has(uuid)) bringToFront(state.zOrder, copy.uuid);
  renderAnnotationList();
  startEditing(copy.uuid);
}

// --- several labels at once ------------------------------------------------------------------------------

export function clearGroup() {
  if (!state.group.size) return;
  state.group.clear();
  state.groupDrag = null;
  renderGroupState();
  markDirty();
}

function renderGroupState() {
  document.getElementById("annotate-canvas").dataset.group = String(state.group.size);
  for (const row of document.querySelectorAll("#annotation-list .list-group-item[data-uuid]")) {
    row.classList.toggle("grouped", state.group.has(row.dataset.uuid));
  }
}

// The object list is rendered anew on every change: mark the group's rows again each time.
new MutationObserver(() => {
  if (state.group.size) renderGroupState();
}).observe(document.getElementById("annotation-list"), { childList: true });

/** Shift+click: the label under the pointer joins (or leaves) the group; the edited label joins too. */
function toggleInGroup(uuid) {
  const editing = editor.editingKey;
  if (editing) {
    if (!save()) return; // its pending change first
    state.group.add(editing);
  } else if (editor.selection) {
    return; // a new, unsaved shape: save or drop it first
  }
  if (state.group.has(uuid) && uuid !== editing) state.group.delete(uuid);
  else state.group.add(uuid);
  renderGroupState();
  markDirty();
  showMessage(`${state.group.size} labels selected: drag one of them to move them all, Esc to drop the selection.`, "info");
}

function imagePoint(event) {
  return screenToImage(state.view, screenPoint(event));
}

wrap.addEventListener(
  "pointerdown",
  (event) => {
    if (event.target !== canvas || event.button !== 0 || state.spaceDown || !(canAnnotate || canEdit)) return;
    const screen = screenPoint(event);
    if (event.shiftKey) {
      const uuid = labelAt(screen);
      if (!uuid) return; // Shift on the bare image: the canvas handles the press as usual
      event.stopPropagation();
      canvas.focus({ preventScroll: true });
      toggleInGroup(uuid);
      return;
    }
    if (!state.group.size) return;
    const uuid = labelAt(screen);
    if (!uuid || !state.group.has(uuid) || !canEdit) {
      clearGroup();
      return; // the canvas handles the press as usual
    }
    event.stopPropagation();
    canvas.focus({ preventScroll: true });
    canvas.setPointerCapture(event.pointerId);
    const from = new Map();
    for (const member of state.group) {
      const record = state.records.get(member);
      if (record && record.points && isInteractive(record)) from.set(member, record.points);
    }
    state.groupDrag = { start: imagePoint(event), from, moved: from };
    markDirty();
  },
  { capture: true },
);

wrap.addEventListener(
  "pointermove",
  (event) => {
    const drag = state.groupDrag;
    if (!drag) return;
    event.stopPropagation();
    const now = imagePoint(event);
    const dx = Math.round(now.x - drag.start.x);
    const dy = Math.round(now.y - drag.start.y);
    const keys = [...drag.from.keys()];
    const moved = moveTogether(
      keys.map((key) => drag.from.get(key)),
      dx,
      dy,
      state.image.width,
      state.image.height,
    );
    drag.moved = new Map(keys.map((key, index) => [key, moved[index]]));
    scheduleDraw();
  },
  { capture: true },
);

function endGroupDrag(event, apply) {
  const drag = state.groupDrag;
  if (!drag) return;
  event.stopPropagation();
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  state.groupDrag = null;
  const entries = [];
  if (apply) {
    for (const [uuid, points] of drag.moved) {
      const record = state.records.get(uuid);
      const before = drag.from.get(uuid);
      if (!record || points === before || points.every((p, index) => p.x === before[index].x && p.y === before[index].y)) continue;
      const beforeFields = { vector: record.vector };
      const afterFields = { vector: pointsToVector(points) };
      updateRecord(uuid, afterFields);
      entries.push({ kind: "update", uuid, before: beforeFields, after: afterFields });
    }
  }
  if (entries.length) {
    state.history.push({ kind: "batch", entries }); // one undo step for all of them
    afterEditorChange({ record: false });
    renderAnnotationList();
    renderGroupState();
  }
  markDirty();
}

wrap.addEventListener("pointerup", (event) => endGroupDrag(event, true), { capture: true });
wrap.addEventListener("pointercancel", (event) => endGroupDrag(event, false), { capture: true });

let groupRecords = null;

function drawGroup(ctx) {
  if (groupRecords !== state.records) {
    groupRecords = state.records; // another image (or its labels loaded anew): the group ends
    if (state.group.size && !state.groupDrag) {
      state.group.clear();
      renderGroupState();
    }
  }
  if (!state.group.size) return;
  for (const uuid of state.group) {
    const record = state.records.get(uuid);
    const type = record && typeById.get(record.typeId);
    if (!type || !record.points || !isVisible(record)) continue;
    const points = state.groupDrag?.moved.get(uuid) ?? record.points;
    drawSelection(ctx, state.view, { vectorType: type.vector_type, points, closed: true, cursor: null, handles: null, color: colorOf(record.typeId) });
  }
}

// --- Tab / Shift+Tab through the labels ------------------------------------------------------------------

/**
 * The next (previous) label of the object list that can be chosen, selected and scrolled into
 * view; false past the last (first) one, so that Tab then leaves the canvas as usual.
 */
export function tabThroughLabels(backwards) {
  const keys = [...document.querySelectorAll("#annotation-list .list-group-item[data-uuid]")]
    .map((row) => row.dataset.uuid)
    .filter((uuid) => isInteractive(state.records.get(uuid)));
  const current = editor.editingKey ?? state.niiEdit ?? state.highlight;
  const next = nextLabel(keys, current, backwards);
  if (next === null) return false;
  clearGroup();
  startEditing(next);
  const row = document.querySelector(`#annotation-list .list-group-item[data-uuid="${next}"]`);
  if (row) row.scrollIntoView({ block: "nearest" });
  return true;
}

// --- keys --------------------------------------------------------------------------------------------------

/** The keys of this module; true when the key was used (the caller then prevents its default). */
export function arrangeKey(event) {
  const key = event.key;
  const lower = key.length === 1 ? key.toLowerCase() : key;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && lower === "d") {
    duplicateCurrent();
    return true;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  if (key === "Tab" && event.target === canvas) {
    if (editor.drawing || editor.drag) return true; // finish the shape first
    return tabThroughLabels(event.shiftKey);
  }
  if (event.repeat) return false;
  if (key === "]") {
    changeOrder(true);
    return true;
  }
  if (key === "[") {
    changeOrder(false);
    return true;
  }
  if (key === "Escape" && state.group.size) {
    clearGroup();
    return true;
  }
  return false;
}

$("#bring-front").on("click", () => changeOrder(true));
$("#send-back").on("click", () => changeOrder(false));
$("#duplicate-label").on("click", duplicateCurrent);

frameHooks.push(drawSnapMark, drawGroup);
