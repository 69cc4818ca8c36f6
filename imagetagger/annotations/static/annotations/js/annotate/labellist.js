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
import { colorOf, entries, renderLegendState } from "./legend.js";
import { renderTags } from "./tags.js";
import { canDelete, canEdit, canvas, currentType, describeVector, editor, isInteractive, isVisible, showMessage, state, typeById, wholeVector } from "./page.js";
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

/** A DOM element: ``props`` class, text, style (custom properties too) and attributes; then children. */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "style") for (const [name, style] of Object.entries(value)) node.style.setProperty(name, style);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const swatchNode = (color) => el("span", { class: "type-swatch", "aria-hidden": "true", style: { "background-color": color } });

function toggleButton({ kind, pressed, label, icons, data }) {
  return el(
    "button",
    { type: "button", class: `btn btn-sm object-toggle object-${kind}`, "aria-pressed": pressed ? "true" : "false", title: label, ...data },
    el("i", { class: `bi ${pressed ? icons[1] : icons[0]}`, "aria-hidden": "true" }),
    el("span", { class: "visually-hidden", text: label }),
  );
}

function originMark(record) {
  const machine = record.origin === "machine";
  const text = machine ? (record.machine ? "machine-made, not yet confirmed" : "machine-made, confirmed by a person") : "made by a person";
  return el(
    "span",
    { class: `object-origin ${machine ? "text-info-emphasis" : "text-body-secondary"}`, title: text },
    el("i", { class: `bi ${machine ? "bi-cpu" : "bi-person"}`, "aria-hidden": "true" }),
    el("span", { class: "visually-hidden", text }),
  );
}

function scoreMark(record) {
  if (!record.id) return null;
  const score = record.score ?? 0;
  const text = `${score > 0 ? "+" : ""}${score}`;
  return el(
    "span",
    {
      class: `object-score badge ${score > 0 ? "text-bg-success" : score < 0 ? "text-bg-danger" : "text-bg-light border"}`,
      title: `Score ${text}: ${record.accepts ?? 0} accepted, ${record.rejects ?? 0} rejected`,
    },
    el("span", { class: "visually-hidden", text: "score " }),
    text,
  );
}

/** What a row shows: a row is built again only when this changes. */
function rowShows(record, type) {
  return [
    isVisible(record),
    state.locked.has(record.uuid),
    record.typeId,
    type ? type.name : null,
    type?.enable_concealed && record.concealed,
    type?.enable_blurred && record.blurred,
    colorOf(record.typeId),
    record.id,
    describeVector(record.vector),
    record.origin,
    record.machine,
    record.score,
    record.accepts,
    record.rejects,
    record.pending,
    summary(record.attributes, type?.attributes),
  ].join("\u0001");
}

function row(record, type) {
  const hidden = !isVisible(record);
  const locked = state.locked.has(record.uuid);
  const color = colorOf(record.typeId);
  const badge = (kind, text) => el("span", { class: `badge ${kind}`, text });
  const line = el(
    "div",
    { class: "object-line" },
    swatchNode(color),
    el("strong", { text: type ? type.name : "inactive type" }),
    originMark(record),
    scoreMark(record),
    el("span", { class: "object-vector", text: describeVector(record.vector), title: wholeVector(record.vector) }),
    record.concealed && type?.enable_concealed ? badge("text-bg-warning", "concealed") : null,
    record.blurred && type?.enable_blurred ? badge("text-bg-info", "blurred") : null,
    record.machine ? badge("text-bg-secondary", "machine") : null,
    record.pending ? badge("text-bg-warning unsent-badge", "unsent") : null,
  );
  const values = summary(record.attributes, type?.attributes);
  const main = el("div", { class: "object-main" }, line, values ? el("div", { class: "attribute-summary text-body-secondary", text: values, title: values }) : null);
  const name = `${type ? type.name : "label"} ${record.id ? `#${record.id}` : "(unsent)"}`;
  const toggles = el(
    "div",
    { class: "object-toggles" },
    toggleButton({ kind: "hide", pressed: hidden, label: hidden ? `Show ${name}` : `Hide ${name}`, icons: ["bi-eye", "bi-eye-slash"], data: { "data-uuid": record.uuid } }),
    toggleButton({ kind: "lock", pressed: locked, label: locked ? `Unlock ${name}` : `Lock ${name}`, icons: ["bi-unlock", "bi-lock-fill"], data: { "data-uuid": record.uuid } }),
  );
  return el(
    "li",
    {
      class: `list-group-item object-row${hidden ? " is-hidden" : ""}${locked ? " is-locked" : ""}`,
      "data-uuid": record.uuid,
      "data-id": record.id ?? "",
      "data-type-id": record.typeId,
      tabindex: "0", // Enter or Space chooses it, like a click; focus highlights it like the mouse
      "aria-label": `${type ? type.name : "inactive type"} ${record.id ? `#${record.id}` : "(unsent)"}: ${describeVector(record.vector)}`,
      style: { "--row-color": color },
    },
    main,
    toggles,
  );
}

function groupHeader(type, count) {
  const hidden = state.hiddenTypes.has(type.id);
  return el(
    "li",
    { class: `object-group${hidden ? " hidden-type" : ""}`, "data-type-id": type.id },
    swatchNode(colorOf(type.id)),
    el("span", { class: "object-group-name flex-grow-1 text-truncate", text: type.name, title: type.name }),
    el("span", { class: "badge text-bg-secondary object-group-count", text: String(count) }),
    toggleButton({
      kind: "type-hide",
      pressed: hidden,
      label: hidden ? `Show the ${type.name} labels` : `Hide the ${type.name} labels`,
      icons: ["bi-eye", "bi-eye-slash"],
      data: { "data-type-id": type.id },
    }),
  );
}

// Rows and group headers made before, by what they show: a render builds only what changed (a save on an
// image with 150 labels built all 150 rows three times, ~100 ms), and unchanged rows keep their focus.
let madeRows = new Map(); // uuid -> {shows, node}
let madeHeaders = new Map(); // type id -> {shows, node}

function reuse(made, next, key, shows, build) {
  const before = made.get(key);
  const node = before && before.shows === shows ? before.node : build();
  next.set(key, { shows, node });
  return node;
}

export function renderAnnotationList() {
  typeOrder ??= new Map(entries.map((entry, index) => [entry.id, index]));
  const records = [...state.records.values()].filter((record) => !isTag(typeById.get(record.typeId))).sort((a, b) => {
    const orderA = typeOrder.get(a.typeId) ?? Infinity;
    const orderB = typeOrder.get(b.typeId) ?? Infinity;
    return orderA - orderB || a.typeId - b.typeId || (a.id ?? Infinity) - (b.id ?? Infinity);
  });
  const counts = new Map();
  for (const record of records) counts.set(record.typeId, (counts.get(record.typeId) || 0) + 1);
  const nextRows = new Map();
  const nextHeaders = new Map();
  const items = [];
  let group = null;
  for (const record of records) {
    const type = typeById.get(record.typeId);
    if (record.typeId !== group) {
      group = record.typeId;
      const header = type || { id: record.typeId, name: "inactive type" };
      const shows = [header.name, counts.get(group), state.hiddenTypes.has(group), colorOf(group)].join("\u0001");
      items.push(reuse(madeHeaders, nextHeaders, group, shows, () => groupHeader(header, counts.get(group))));
    }
    items.push(reuse(madeRows, nextRows, record.uuid, rowShows(record, type), () => row(record, type)));
  }
  madeRows = nextRows;
  madeHeaders = nextHeaders;
  if (!items.length) items.push(el("li", { class: "empty", text: "No labels on this image yet." }));
  // Put the items in place touching only what changed (replacing all children restyles every row).
  const list = document.getElementById("annotation-list");
  let cursor = list.firstChild;
  for (const item of items) {
    if (cursor === item) cursor = cursor.nextSibling;
    else list.insertBefore(item, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
  for (const node of list.children) node.classList.toggle("hovered", Boolean(state.hover) && node.dataset.uuid === state.hover);
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

