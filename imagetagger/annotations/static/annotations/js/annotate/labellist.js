// The object panel: every label of the image (tags are in the tag bar), grouped by type in the
// legend's order. A group header has the type's swatch, name, count and a hide toggle (the legend's
// eye does the same); a row has the type's colour, the shape, the attribute summary, the origin (a
// person or a machine, as an icon with text for screen readers), the score (accepts − rejects) and
// per-label toggles: hide (not drawn, not hit-testable) and lock (drawn, but not selectable, editable
// or movable on the canvas). A click on a row selects the label for editing; hovering a row
// highlights the label on the canvas and hovering a label on the canvas highlights its row.

import { summary } from "../attrform.js";
import { pickShape } from "../geometry.js";
import { isTag } from "../schema.js";
import { afterEditorChange } from "./editing.js";
import { colorOf, entries, renderLegendState, swatch } from "./legend.js";
import { renderTags } from "./tags.js";
import { canDelete, canEdit, canvas, currentType, describeVector, editor, isInteractive, isVisible, showMessage, state, typeById } from "./page.js";
import { onTypeChanged, renderEditState } from "./typepicker.js";
import { markDirty, scheduleDraw, screenPoint, shapesForDraw } from "./canvasview.js";

const $ = window.jQuery;

// --- the object panel ----------------------------------------------------------------------------

let listRender = null;
let typeOrder = null; // type id -> position in the legend (made at the first render: modules import each other)

export function renderAnnotationListSoon() {
  if (listRender) return;
  listRender = setTimeout(() => {
    listRender = null;
    renderAnnotationList();
  }, 0);
}

function toggleButton({ kind, pressed, label, icons, data }) {
  return $("<button>", {
    type: "button",
    class: `btn btn-sm object-toggle object-${kind}`,
    "aria-pressed": pressed ? "true" : "false",
    title: label,
    ...data,
  }).append($("<i>", { class: `bi ${pressed ? icons[1] : icons[0]}`, "aria-hidden": "true" }), $("<span>", { class: "visually-hidden" }).text(label));
}

function originMark(record) {
  const machine = record.origin === "machine";
  const text = machine ? (record.machine ? "machine-made, not yet confirmed" : "machine-made, confirmed by a person") : "made by a person";
  return $("<span>", { class: `object-origin ${machine ? "text-info-emphasis" : "text-body-secondary"}`, title: text }).append(
    $("<i>", { class: `bi ${machine ? "bi-cpu" : "bi-person"}`, "aria-hidden": "true" }),
    $("<span>", { class: "visually-hidden" }).text(text),
  );
}

function scoreMark(record) {
  if (!record.id) return null;
  const score = record.score ?? 0;
  const text = `${score > 0 ? "+" : ""}${score}`;
  return $("<span>", {
    class: `object-score badge ${score > 0 ? "text-bg-success" : score < 0 ? "text-bg-danger" : "text-bg-light border"}`,
    title: `Score ${text}: ${record.accepts ?? 0} accepted, ${record.rejects ?? 0} rejected`,
  }).append($("<span>", { class: "visually-hidden" }).text("score "), text);
}

function row(record, type) {
  const hidden = !isVisible(record);
  const locked = state.locked.has(record.uuid);
  const $item = $("<li>", {
    class: `list-group-item object-row${hidden ? " is-hidden" : ""}${locked ? " is-locked" : ""}${state.hover === record.uuid ? " hovered" : ""}`,
    "data-uuid": record.uuid,
    "data-id": record.id ?? "",
    "data-type-id": record.typeId,
    tabindex: "0", // Enter or Space chooses it, like a click; focus highlights it like the mouse
    "aria-label": `${type ? type.name : "inactive type"} ${record.id ? `#${record.id}` : "(unsent)"}: ${describeVector(record.vector)}`,
  }).css("--row-color", colorOf(record.typeId));
  const $line = $("<div>", { class: "object-line" }).append(
    swatch(colorOf(record.typeId)),
    $("<strong>").text(type ? type.name : "inactive type"),
    originMark(record),
    scoreMark(record),
    $("<span>", { class: "object-vector" }).text(describeVector(record.vector)),
  );
  if (record.concealed && type?.enable_concealed) $line.append($("<span>", { class: "badge text-bg-warning" }).text("concealed"));
  if (record.blurred && type?.enable_blurred) $line.append($("<span>", { class: "badge text-bg-info" }).text("blurred"));
  if (record.machine) $line.append($("<span>", { class: "badge text-bg-secondary" }).text("machine"));
  if (record.pending) $line.append($("<span>", { class: "badge text-bg-warning unsent-badge" }).text("unsent"));
  const $main = $("<div>", { class: "object-main" }).append($line);
  const values = summary(record.attributes, type?.attributes);
  if (values) $main.append($("<div>", { class: "attribute-summary text-body-secondary" }).text(values));
  const name = `${type ? type.name : "label"} ${record.id ? `#${record.id}` : "(unsent)"}`;
  const $toggles = $("<div>", { class: "object-toggles" }).append(
    toggleButton({ kind: "hide", pressed: hidden, label: hidden ? `Show ${name}` : `Hide ${name}`, icons: ["bi-eye", "bi-eye-slash"], data: { "data-uuid": record.uuid } }),
    toggleButton({ kind: "lock", pressed: locked, label: locked ? `Unlock ${name}` : `Lock ${name}`, icons: ["bi-unlock", "bi-lock-fill"], data: { "data-uuid": record.uuid } }),
  );
  return $item.append($main, $toggles);
}

function groupHeader(type, count) {
  const hidden = state.hiddenTypes.has(type.id);
  return $("<li>", { class: `object-group${hidden ? " hidden-type" : ""}`, "data-type-id": type.id }).append(
    swatch(colorOf(type.id)),
    $("<span>", { class: "object-group-name flex-grow-1 text-truncate" }).text(type.name),
    $("<span>", { class: "badge text-bg-secondary object-group-count" }).text(count),
    toggleButton({
      kind: "type-hide",
      pressed: hidden,
      label: hidden ? `Show the ${type.name} labels` : `Hide the ${type.name} labels`,
      icons: ["bi-eye", "bi-eye-slash"],
      data: { "data-type-id": type.id },
    }),
  );
}

export function renderAnnotationList() {
  typeOrder ??= new Map(entries.map((entry, index) => [entry.id, index]));
  const records = [...state.records.values()].filter((record) => !isTag(typeById.get(record.typeId))).sort((a, b) => {
    const orderA = typeOrder.get(a.typeId) ?? Infinity;
    const orderB = typeOrder.get(b.typeId) ?? Infinity;
    return orderA - orderB || a.typeId - b.typeId || (a.id ?? Infinity) - (b.id ?? Infinity);
  });
  const items = [];
  let group = null;
  for (const record of records) {
    const type = typeById.get(record.typeId);
    if (record.typeId !== group) {
      group = record.typeId;
      const count = records.filter((other) => other.typeId === group).length;
      items.push(groupHeader(type || { id: record.typeId, name: "inactive type" }, count));
    }
    items.push(row(record, type));
  }
  if (!items.length) items.push($("<li>", { class: "empty" }).text("No labels on this image yet."));
  $("#annotation-list").empty().append(items);
  $("#annotation-count").text(records.length);
  renderEditState();
  renderTags();
}

// --- hide, lock, per-type hide -----------------------------------------------------------------------

function dropSelectionOf(uuid) {
  if (editor.editingKey === uuid || state.niiEdit === uuid) {
    editor.clear();
    state.niiEdit = null;
    afterEditorChange();
  }
  if (state.hover === uuid) state.hover = null;
}

/** Hide (``set`` = state.hidden) or lock (state.locked) a label, or undo that; a hidden or locked label stops being edited. */
function mark(set, uuid, on) {
  if (on) {
    set.add(uuid);
    dropSelectionOf(uuid);
  } else {
    set.delete(uuid);
  }
  markDirty();
  shapesForDraw(); // the editor's hit list at once, not at the next frame
  renderAnnotationList();
}

export const setHidden = (uuid, hidden) => mark(state.hidden, uuid, hidden);
export const setLocked = (uuid, locked) => mark(state.locked, uuid, locked);

export function setTypeHidden(typeId, hidden) {
  if (hidden) {
    state.hiddenTypes.add(typeId);
    for (const record of state.records.values()) if (record.typeId === typeId) dropSelectionOf(record.uuid);
  } else {
    state.hiddenTypes.delete(typeId);
  }
  markDirty();
  shapesForDraw();
  renderAnnotationList();
  renderLegendState();
}

const $list = $("#annotation-list");
$list.on("click", ".object-hide", function onHide(event) {
  event.stopPropagation();
  setHidden(this.dataset.uuid, this.getAttribute("aria-pressed") !== "true");
  $(`#annotation-list .object-hide[data-uuid="${this.dataset.uuid}"]`).trigger("focus");
});
$list.on("click", ".object-lock", function onLock(event) {
  event.stopPropagation();
  setLocked(this.dataset.uuid, this.getAttribute("aria-pressed") !== "true");
  $(`#annotation-list .object-lock[data-uuid="${this.dataset.uuid}"]`).trigger("focus");
});
$list.on("click", ".object-type-hide", function onTypeHide(event) {
  event.stopPropagation();
  const typeId = Number(this.dataset.typeId);
  setTypeHidden(typeId, !state.hiddenTypes.has(typeId));
  $(`#annotation-list .object-type-hide[data-type-id="${typeId}"]`).trigger("focus");
});
$list.on("click", ".list-group-item", function onAnnotationClick() {
  const record = state.records.get(this.dataset.uuid);
  if (!record) return;
  if (state.locked.has(record.uuid)) {
    state.highlight = record.uuid;
    markDirty();
    showMessage("This label is locked: unlock it (the lock button in its row) to change it.", "info");
    return;
  }
  if (!isVisible(record)) {
    state.hidden.delete(record.uuid);
    state.hiddenTypes.delete(record.typeId);
    renderLegendState();
  }
  startEditing(this.dataset.uuid);
  closeObjectDrawer();
});

// --- hover, both ways --------------------------------------------------------------------------------

function setHover(uuid) {
  if (state.hover === uuid) return;
  state.hover = uuid;
  $("#annotation-list .list-group-item.hovered").removeClass("hovered");
  if (uuid) $(`#annotation-list .list-group-item[data-uuid="${uuid}"]`).addClass("hovered");
  document.body.dataset.hover = uuid || "";
  scheduleDraw();
}

$list.on("mouseenter focusin", ".list-group-item", function onRowEnter() {
  setHover(this.dataset.uuid);
});
$list.on("mouseleave focusout", ".list-group-item", () => setHover(null));
$list.on("keydown", ".list-group-item", function onRowKey(event) {
  if (event.target !== this || (event.key !== "Enter" && event.key !== " ")) return;
  event.preventDefault();
  event.stopPropagation(); // not the page's Enter (proposal) or Space (pan)
  $(this).trigger("click");
});

/** The interactive label under a point of the canvas (the smallest one), or null. */
export function labelAt(screen) {
  const candidates = [];
  for (const record of state.records.values()) {
    if (!record.points || !isInteractive(record)) continue;
    const type = typeById.get(record.typeId);
    if (type) candidates.push({ key: record.uuid, points: record.points, vectorType: type.vector_type, z: state.zOrder.get(record.uuid) || 0 });
  }
  const index = pickShape(candidates, state.view, screen, 5);
  return index >= 0 ? candidates[index].key : null;
}

let hoverFrame = null;
canvas.addEventListener("pointermove", (event) => {
  if (editor.drag || editor.drawing || state.panning) return;
  const screen = screenPoint(event);
  if (hoverFrame) return;
  hoverFrame = requestAnimationFrame(() => {
    hoverFrame = null;
    setHover(labelAt(screen));
  });
});
canvas.addEventListener("pointerleave", () => setHover(null));

// --- the drawer on phones ------------------------------------------------------------------------------

function closeObjectDrawer() {
  const panel = document.getElementById("object-panel");
  if (panel.classList.contains("show")) window.bootstrap.Offcanvas.getOrCreateInstance(panel).hide();
}

export function startEditing(uuid) {
  const record = state.records.get(uuid);
  if (!record || (record.points && !isInteractive(record))) return; // hidden or locked: not from the canvas
  state.highlight = null;
  state.tagEdit = null;
  if (!(canEdit || canDelete)) {
    state.highlight = uuid;
    markDirty();
    renderEditState();
    return;
  }
  if (record.typeId !== currentType()?.id && typeById.has(record.typeId)) {
    $("#annotation-type").val(String(record.typeId));
    onTypeChanged();
  }
  if (record.points) {
    $("#not-in-image").prop("checked", false);
    state.niiEdit = null;
    editor.edit(uuid, record.points);
  } else {
    editor.clear();
    $("#not-in-image").prop("checked", true);
    state.niiEdit = uuid;
  }
  $("#concealed").prop("checked", record.concealed).prop("disabled", !record.points || !typeById.get(record.typeId)?.enable_concealed);
  $("#blurred").prop("checked", record.blurred).prop("disabled", !record.points || !typeById.get(record.typeId)?.enable_blurred);
  afterEditorChange();
}

