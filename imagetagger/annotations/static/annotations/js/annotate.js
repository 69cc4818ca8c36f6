// The annotate page (/annotations/<image_id>/): wires the canvas code to the page with jQuery.
//
//   geometry.js  coordinates, vectors, hit tests      draw.js     rendering
//   tools.js     the drawing state machine            history.js  undo/redo per image
//   outbox.js    stored, retried, idempotent saves    imagelist.js the paged image list
//
// Nothing is shown as saved before the server confirmed it: every change goes through the outbox,
// which keeps it in localStorage until then (and sends it again after a failure or a reload).
// For tests and the verification page, ``window.annotatePage`` exposes the live state.

import { apiFetch, apiFetchAll, csrfToken, isTyping, showAlert } from "../../base/js/site.js";
import { ShapeLayer, drawScene, isMachineLooking, prepareCanvas } from "./draw.js";
import {
  VECTOR_TYPE,
  clampPoint,
  fitView,
  panBy,
  pointsToVector,
  toImagePixel,
  validateShape,
  vectorToPoints,
  zoomAt,
} from "./geometry.js";
import { HistoryBook } from "./history.js";
import { ImageCache } from "./imagecache.js";
import { ImageList, preloadWindow } from "./imagelist.js";
import { keepOutboxAlive, renderOutboxStatus } from "./keepalive.js";
import { Outbox } from "./outbox.js";
import { sendOp } from "./sendop.js";
import { ShapeEditor } from "./tools.js";

const $ = window.jQuery;
const config = JSON.parse(document.getElementById("annotate-config").textContent);
const perms = new Set(config.permissions);
const canAnnotate = perms.has("annotate");
const canEdit = perms.has("edit_annotation");
const canDelete = perms.has("delete_annotation");
const types = config.types;
const typeById = new Map(types.map((type) => [type.id, type]));
const ROW_HEIGHT = 28;
const CACHE_TTL_MS = 60_000;
const ZOOM_STEP = 1.25;

const canvas = document.getElementById("annotate-canvas");
const wrap = document.getElementById("canvas-wrap");
let ctx = canvas.getContext("2d");

const state = {
  image: config.image,
  index: 0,
  present: true,
  bitmap: null,
  records: new Map(), // uuid -> record (see recordFrom)
  view: { scale: 1, x: 0, y: 0 },
  fitted: true,
  size: { width: 1, height: 1 },
  cursor: null,
  highlight: null, // uuid of a record to highlight (e.g. the similar one of a 409)
  niiEdit: null, // uuid of a "not in image" record being edited
  keep: null, // {typeId, points|null} carried to the next image
  navigation: 0,
  panning: null,
  spaceDown: false,
  shapesDirty: true,
  shapes: [],
  layerVersion: 0,
  interacting: false,
  conflictShown: null,
};

const editor = new ShapeEditor({
  vectorType: VECTOR_TYPE.BOX,
  nodeCount: 0,
  imageWidth: state.image.width,
  imageHeight: state.image.height,
});
const book = new HistoryBook();
let history = book.forImage(state.image.id);

// --- small helpers -------------------------------------------------------------------------------

function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function currentType() {
  const id = Number($("#annotation-type").val());
  return typeById.get(id) || null;
}

function showMessage(text, kind = "info") {
  return showAlert(document.getElementById("annotate-messages"), text, kind);
}

function describeVector(vector) {
  if (vector === null || vector === undefined) return "not in image";
  const points = vectorToPoints(vector);
  const shown = points.slice(0, 3).map((p) => `(${p.x}, ${p.y})`);
  return shown.join(" ") + (points.length > 3 ? ` … ${points.length} points` : "");
}

function recordFrom(annotation) {
  return {
    uuid: annotation.uuid,
    id: annotation.id,
    version: annotation.version,
    typeId: annotation.annotation_type.id,
    vector: annotation.vector,
    points: vectorToPoints(annotation.vector),
    concealed: annotation.concealed_flag,
    blurred: annotation.blurred_flag,
    machine: isMachineLooking(annotation),
    permissions: annotation.permissions || config.permissions,
    pending: false,
  };
}

function fieldsOf(record) {
  return {
    annotation_type: record.typeId,
    vector: record.vector,
    concealed: record.concealed,
    blurred: record.blurred,
  };
}

function applyFields(record, fields) {
  if ("annotation_type" in fields) record.typeId = fields.annotation_type;
  if ("vector" in fields) {
    record.vector = fields.vector;
    record.points = vectorToPoints(fields.vector);
  }
  if ("concealed" in fields) record.concealed = fields.concealed;
  if ("blurred" in fields) record.blurred = fields.blurred;
}

function markDirty() {
  state.shapesDirty = true;
  scheduleDraw();
}

// --- the outbox ----------------------------------------------------------------------------------

function sendAnnotationOp(op) {
  return sendOp(op, {
    annotationsUrl: config.urls.annotations,
    lookup: (uuid) => state.records.get(uuid),
    csrfToken,
  });
}

const outbox = new Outbox({
  storage: window.localStorage,
  prefix: `imagetagger.outbox.${config.user}.`,
  send: sendAnnotationOp,
  onChange: renderSaveStatus,
  onSaved(op, data) {
    annotationCache.delete(op.imageId);
    const record = state.records.get(op.uuid);
    if (op.imageId === state.image.id && record && data && op.kind !== "delete") {
      const fresh = recordFrom(data);
      const stillPending = outbox.ops.some((later) => later.uuid === op.uuid);
      if (stillPending) {
        record.id = fresh.id;
        record.version = fresh.version;
      } else {
        Object.assign(record, fresh);
      }
      markDirty();
      renderAnnotationList();
    }
  },
  onRejected(op, status, data, dropped) {
    annotationCache.delete(op.imageId);
    const detail = (data && data.detail) || `The server answered ${status}.`;
    const onThisImage = op.imageId === state.image.id;
    let text = `Not saved: ${detail}`;
    if (status === 409 && data && data.conflicting_annotation) {
      const other = [...state.records.values()].find((record) => record.id === data.conflicting_annotation);
      if (onThisImage && other) {
        state.highlight = other.uuid;
        text += ` It is highlighted: ${typeById.get(other.typeId)?.name ?? "?"} ${describeVector(other.vector)}.`;
      }
    }
    showMessage(text, "danger");
    if (!onThisImage) return;
    if (op.kind === "create") {
      const record = state.records.get(op.uuid);
      state.records.delete(op.uuid);
      // Give the shape back as an unsaved selection, so that the drawing is not lost.
      if (record && record.points && !editor.selection && record.typeId === currentType()?.id) {
        editor.place(record.points);
        editor.takeChange();
        renderCoordinates();
      }
    } else if (op.id) {
      refreshRecord(op.uuid, op.id);
    }
    void dropped;
    markDirty();
    renderAnnotationList();
  },
  onConflict: () => showNextConflict(),
});

function renderSaveStatus() {
  renderOutboxStatus(outbox, "All changes saved");
  for (const record of state.records.values()) {
    const pending = outbox.ops.some((op) => op.uuid === record.uuid);
    if (record.pending !== pending) {
      record.pending = pending;
      renderAnnotationListSoon();
    }
  }
}

async function refreshRecord(uuid, id) {
  try {
    const data = await apiFetch(`${config.urls.annotations}${id}/`);
    if (data.image === state.image.id) state.records.set(uuid, recordFrom(data));
  } catch (error) {
    if (error.status === 404) state.records.delete(uuid);
  }
  markDirty();
  renderAnnotationList();
}

function showNextConflict() {
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

function resolveConflict(choice) {
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

// --- images and annotations: loading, caching, preloading ------------------------------------------

const images = new ImageCache();
const annotationCache = new Map(); // id -> {time, promise}

function loadImage(meta) {
  return images.load(meta.id, meta.url);
}

function fetchAnnotations(imageId) {
  return apiFetchAll(`${config.urls.annotations}?image=${imageId}&page_size=500`);
}

function loadAnnotations(imageId, { fresh = false } = {}) {
  const cached = annotationCache.get(imageId);
  if (cached && !fresh && Date.now() - cached.time < CACHE_TTL_MS) return cached.promise;
  const promise = fetchAnnotations(imageId);
  const entry = { time: Date.now(), promise };
  annotationCache.set(imageId, entry);
  promise.catch(() => {
    if (annotationCache.get(imageId) === entry) annotationCache.delete(imageId);
  });
  return promise;
}

/** Records of an image: the server's annotations with the queued (unsent) changes applied. */
function buildRecords(imageId, annotations) {
  const records = new Map(annotations.map((annotation) => [annotation.uuid, recordFrom(annotation)]));
  for (const op of outbox.opsFor(imageId)) {
    if (op.kind === "create") {
      const record = records.get(op.uuid) || {
        uuid: op.uuid,
        id: op.id,
        version: op.version,
        machine: false,
        permissions: config.permissions,
      };
      applyFields(record, op.fields);
      records.set(op.uuid, record);
    } else if (op.kind === "update") {
      const record = records.get(op.uuid);
      if (record) applyFields(record, op.fields);
    } else {
      records.delete(op.uuid);
    }
    const record = records.get(op.uuid);
    if (record) record.pending = true;
  }
  return records;
}

const imageList = new ImageList({
  fetchJson: (url) => apiFetch(url),
  imagesUrl: config.urls.images,
  positionUrl: config.urls.position,
});

async function preloadAround() {
  const navigation = state.navigation;
  const count = imageList.count || 0;
  const wanted = preloadWindow(state.index, state.present, count);
  const keep = new Set([state.image.id]);
  for (const index of wanted) {
    let meta;
    try {
      meta = await imageList.ensure(index);
    } catch {
      return;
    }
    if (navigation !== state.navigation) return;
    if (!meta) continue;
    keep.add(meta.id);
    loadImage(meta).catch(() => {});
    loadAnnotations(meta.id).catch(() => {});
  }
  images.keepOnly(keep);
  for (const id of annotationCache.keys()) if (!keep.has(id)) annotationCache.delete(id);
}

// --- navigation ------------------------------------------------------------------------------------

function pageUrl(imageId) {
  const url = new URL(config.urls.annotate.replace(/0\/$/, `${imageId}/`), window.location.origin);
  const filter = $("#image-filter").val();
  if (filter) url.searchParams.set("filter", filter);
  return url.pathname + url.search;
}

/** Show ``meta`` (an image of the list at ``index``); ``mode``: "push", "replace" or "none" (popstate). */
async function openImage(meta, { index = null, present = true, mode = "push" } = {}) {
  const navigation = ++state.navigation;
  const leaving = state.image.id;
  if (meta.id !== leaving) {
    editor.clear();
    state.niiEdit = null;
    state.highlight = null;
  }
  state.image = meta;
  if (index !== null) {
    state.index = index;
    state.present = present;
  }
  if (mode === "push") window.history.pushState({ imageId: meta.id }, "", pageUrl(meta.id));
  else if (mode === "replace") window.history.replaceState({ imageId: meta.id }, "", pageUrl(meta.id));
  $("#image-name").text(meta.name);
  $("#image-size").text(`${meta.width} × ${meta.height}`);
  document.title = `Annotate ${meta.name} · ${document.title.split(" · ").pop()}`;
  renderImageList(true);
  const loading = setTimeout(() => $("#canvas-loading").prop("hidden", false), 150);
  let img;
  let annotations;
  try {
    [img, annotations] = await Promise.all([loadImage(meta), loadAnnotations(meta.id)]);
  } catch (error) {
    clearTimeout(loading);
    if (navigation === state.navigation) {
      $("#canvas-loading").prop("hidden", true);
      showMessage(`Could not load the image: ${error.message}`, "danger");
    }
    return;
  }
  clearTimeout(loading);
  if (navigation !== state.navigation) return;
  $("#canvas-loading").prop("hidden", true);
  state.bitmap = img;
  state.records = buildRecords(meta.id, annotations);
  editor.setImage(meta.width, meta.height);
  history = book.forImage(meta.id);
  if (meta.id !== leaving || !state.fitted) fitToCanvas();
  if (meta.id !== leaving) applyKeptSelection();
  editor.takeChange();
  if (index === null) locateCurrent();
  markDirty();
  drawNow();
  renderAnnotationList();
  renderCoordinates();
  renderUndoButtons();
  renderImageList(true);
  document.body.dataset.annotateImage = String(meta.id);
  preloadAround();
}

async function locateCurrent() {
  const id = state.image.id;
  try {
    const position = await imageList.locate(id);
    if (state.image.id !== id) return;
    state.index = position.index;
    state.present = position.present;
    renderImageList(true);
    preloadAround();
  } catch (error) {
    showMessage(`Could not load the image list: ${error.message}`, "danger");
  }
}

async function step(delta) {
  const count = imageList.count;
  if (!count) {
    showMessage("There are no images in the list.", "warning");
    return;
  }
  let target = delta > 0 ? (state.present ? state.index + 1 : state.index) : state.index - 1;
  if (target >= count) target = 0;
  if (target < 0) target = count - 1;
  const meta = imageList.get(target) || (await imageList.ensure(target));
  if (!meta) return;
  if (meta.id === state.image.id && count === 1) {
    showMessage("This is the only image in the list.", "info");
  }
  await openImage(meta, { index: target, present: true });
}

async function openById(imageId, mode) {
  const index = imageList.indexOf(imageId);
  let meta = index >= 0 ? imageList.get(index) : null;
  if (!meta) {
    try {
      const data = await apiFetch(config.urls.image.replace(/0\/$/, `${imageId}/`));
      meta = { id: data.id, name: data.name, width: data.width, height: data.height, url: data.url };
    } catch (error) {
      showMessage(`Could not open the image: ${error.message}`, "danger");
      return;
    }
  }
  await openImage(meta, index >= 0 ? { index, present: true, mode } : { mode });
}

window.addEventListener("popstate", (event) => {
  const id = event.state && event.state.imageId;
  if (id && id !== state.image.id) openById(id, "none");
});

// --- the image list (virtualized) -------------------------------------------------------------------

const listEl = document.getElementById("image-list");
const spacer = document.getElementById("image-list-spacer");
let listFrame = null;

function renderImageList(scrollToCurrent = false) {
  const count = imageList.count ?? 0;
  spacer.style.height = `${count * ROW_HEIGHT}px`;
  $("#image-list-count").text(
    count === 0
      ? imageList.count === null
        ? ""
        : "No images with this filter."
      : `${state.present ? `Image ${state.index + 1} of ${count}` : `${count} images`}${imageList.filter ? " (filtered)" : ""}`,
  );
  $("#image-index").text(state.present && count ? `${state.index + 1} / ${count}` : "");
  if (scrollToCurrent && count) {
    const middle = state.index * ROW_HEIGHT - listEl.clientHeight / 2 + ROW_HEIGHT / 2;
    const top = listEl.scrollTop;
    if (state.index * ROW_HEIGHT < top || (state.index + 1) * ROW_HEIGHT > top + listEl.clientHeight) {
      listEl.scrollTop = Math.max(0, middle);
    }
  }
  const top = listEl.scrollTop;
  const height = listEl.clientHeight || 400;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - 10);
  const last = Math.min(count - 1, Math.ceil((top + height) / ROW_HEIGHT) + 10);
  const rows = [];
  const missingPages = new Set();
  for (let index = first; index <= last; index += 1) {
    const image = imageList.get(index);
    const row = document.createElement("div");
    row.className = "image-list-row";
    row.style.top = `${index * ROW_HEIGHT}px`;
    row.dataset.index = String(index);
    row.setAttribute("role", "option");
    if (image) {
      row.textContent = image.name;
      row.title = image.name;
      row.dataset.imageId = String(image.id);
      const current = image.id === state.image.id;
      row.classList.toggle("active", current);
      row.setAttribute("aria-selected", current ? "true" : "false");
    } else {
      row.textContent = "…";
      row.classList.add("placeholder-row");
      missingPages.add(Math.floor(index / imageList.pageSize));
    }
    rows.push(row);
  }
  spacer.replaceChildren(...rows);
  for (const page of missingPages) {
    imageList.loadPage(page).then(
      () => renderImageListSoon(),
      () => {},
    );
  }
}

function renderImageListSoon() {
  if (listFrame) return;
  listFrame = requestAnimationFrame(() => {
    listFrame = null;
    renderImageList();
  });
}

listEl.addEventListener("scroll", renderImageListSoon, { passive: true });
$(listEl).on("click", ".image-list-row[data-image-id]", function onRowClick() {
  const index = Number(this.dataset.index);
  const meta = imageList.get(index);
  if (meta) openImage(meta, { index, present: true });
});

async function applyFilter({ switchType = true } = {}) {
  const filter = $("#image-filter").val();
  imageList.setFilter(filter ? Number(filter) : null);
  if (filter && switchType && Number(filter) !== currentType()?.id) {
    $("#annotation-type").val(filter);
    onTypeChanged();
  }
  try {
    const position = await imageList.locate(state.image.id);
    if (position.count === 0 && filter) {
      showMessage("The image set is empty with that filter applied.", "warning");
      $("#image-filter").val("");
      await applyFilter({ switchType: false });
      return;
    }
    state.index = position.index;
    state.present = position.present;
    window.history.replaceState({ imageId: state.image.id }, "", pageUrl(state.image.id));
    if (!position.present && position.count > 0) {
      const first = await imageList.ensure(0);
      if (first) await openImage(first, { index: 0, present: true });
      return;
    }
    renderImageList(true);
    preloadAround();
  } catch (error) {
    showMessage(`Could not filter the images: ${error.message}`, "danger");
  }
}

$("#image-filter").on("change", function onFilter() {
  this.blur();
  applyFilter();
});
$("#image-filter-refresh").on("click", () => applyFilter({ switchType: false }));

// --- drawing -----------------------------------------------------------------------------------------

let frame = null;
const shapeLayer = new ShapeLayer();
let interactionTimer = null;

/** A pan or zoom step: frames copy the shape layer until the gesture has rested for 150 ms. */
function interacting() {
  state.interacting = true;
  clearTimeout(interactionTimer);
  interactionTimer = setTimeout(() => {
    state.interacting = false;
    scheduleDraw();
  }, 150);
}

function scheduleDraw() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = null;
    drawNow();
  });
}

function shapesForDraw() {
  if (!state.shapesDirty) return state.shapes;
  const type = currentType();
  const showAll = $("#show-all-types").prop("checked");
  const shapes = [];
  const editable = [];
  const editing = editor.editingKey;
  for (const record of state.records.values()) {
    if (!record.points) continue;
    const recordType = typeById.get(record.typeId);
    if (!recordType) continue;
    const sameType = type && record.typeId === type.id;
    if (sameType) editable.push({ key: record.uuid, points: record.points });
    if (!sameType && !showAll) continue;
    if (record.uuid === editing) continue;
    shapes.push({
      id: record.uuid,
      vectorType: recordType.vector_type,
      points: record.points,
      concealed: record.concealed && recordType.enable_concealed,
      blurred: record.blurred && recordType.enable_blurred,
      machine: record.machine,
      highlighted: record.uuid === state.highlight,
    });
  }
  editor.setShapes(canAnnotate || canEdit ? editable : []);
  state.shapes = shapes;
  state.shapesDirty = false;
  state.layerVersion += 1;
  return shapes;
}

function drawNow() {
  const shapes = shapesForDraw();
  const nii = $("#not-in-image").prop("checked");
  drawScene(ctx, {
    view: state.view,
    width: state.size.width,
    height: state.size.height,
    image: state.bitmap,
    imageWidth: state.image.width,
    imageHeight: state.image.height,
    shapes,
    selection: nii ? null : editor.selectionForDraw(),
    cursor: state.panning ? null : state.cursor,
    layer: shapeLayer,
    layerVersion: state.layerVersion,
    quick: state.interacting,
  });
  $("#zoom-level").text(`${Math.round(state.view.scale * 100)}%`);
}

function fitToCanvas() {
  state.view = fitView(state.image.width, state.image.height, state.size.width, state.size.height, 8);
  state.fitted = true;
  scheduleDraw();
}

function resizeCanvas() {
  const width = Math.max(1, Math.floor(wrap.clientWidth));
  const height = Math.max(1, Math.floor(wrap.clientHeight));
  if (width === state.size.width && height === state.size.height) return;
  state.size = { width, height };
  ctx = prepareCanvas(canvas, width, height);
  if (state.fitted) fitToCanvas();
  drawNow();
}

new ResizeObserver(resizeCanvas).observe(wrap);

function zoomBy(factor, screenPoint = { x: state.size.width / 2, y: state.size.height / 2 }) {
  state.view = zoomAt(state.view, factor, screenPoint);
  state.fitted = false;
  interacting();
  scheduleDraw();
}

function zoomTo(scale) {
  zoomBy(scale / state.view.scale);
}

$("#zoom-in").on("click", () => zoomBy(ZOOM_STEP));
$("#zoom-out").on("click", () => zoomBy(1 / ZOOM_STEP));
$("#zoom-fit").on("click", fitToCanvas);
$("#zoom-100").on("click", () => zoomTo(1));

// --- the type, flags and coordinates ---------------------------------------------------------------

function onTypeChanged() {
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

function setNotInImage(checked) {
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

function editingUuid() {
  return editor.editingKey || state.niiEdit;
}

function renderEditState() {
  const uuid = editingUuid();
  const record = uuid ? state.records.get(uuid) : null;
  $("#edit-banner").prop("hidden", !record);
  $("#edit-banner-id").text(record ? (record.id ? `#${record.id}` : "(unsent)") : "");
  $("#delete-button").prop("disabled", !record);
  $("#annotation-list .list-group-item").each(function markActive() {
    $(this).toggleClass("active", this.dataset.uuid === uuid);
  });
}

function renderCoordinates() {
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

function renderUndoButtons() {
  $("#undo-button").prop("disabled", !history.canUndo);
  $("#redo-button").prop("disabled", !history.canRedo);
}

// --- the annotation list ----------------------------------------------------------------------------

let listRender = null;

function renderAnnotationListSoon() {
  if (listRender) return;
  listRender = setTimeout(() => {
    listRender = null;
    renderAnnotationList();
  }, 0);
}

function renderAnnotationList() {
  const records = [...state.records.values()].sort((a, b) => {
    const nameA = typeById.get(a.typeId)?.name ?? "";
    const nameB = typeById.get(b.typeId)?.name ?? "";
    return nameA.localeCompare(nameB) || (a.id ?? Infinity) - (b.id ?? Infinity);
  });
  const items = records.map((record) => {
    const type = typeById.get(record.typeId);
    const $item = $("<li>", { class: "list-group-item", "data-uuid": record.uuid, "data-id": record.id ?? "" });
    $item.append($("<strong>").text(type ? type.name : "inactive type"), " ", $("<span>").text(describeVector(record.vector)));
    if (record.concealed && type?.enable_concealed) $item.append(" ", $("<span>", { class: "badge text-bg-warning" }).text("concealed"));
    if (record.blurred && type?.enable_blurred) $item.append(" ", $("<span>", { class: "badge text-bg-info" }).text("blurred"));
    if (record.machine) $item.append(" ", $("<span>", { class: "badge text-bg-secondary" }).text("machine"));
    if (record.pending) $item.append(" ", $("<span>", { class: "badge text-bg-warning unsent-badge" }).text("unsent"));
    return $item;
  });
  $("#annotation-list").empty().append(items);
  $("#annotation-count").text(records.length);
  renderEditState();
}

$("#annotation-list").on("click", ".list-group-item", function onAnnotationClick() {
  startEditing(this.dataset.uuid);
});

function startEditing(uuid) {
  const record = state.records.get(uuid);
  if (!record) return;
  state.highlight = null;
  if (!(canEdit || canDelete)) {
    state.highlight = uuid;
    markDirty();
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

// --- saving, deleting, undo --------------------------------------------------------------------------

function createRecord(record) {
  const copy = { ...record, points: vectorToPoints(record.vector), pending: true, id: null, version: null, machine: false };
  state.records.set(copy.uuid, copy);
  outbox.enqueue({
    kind: "create",
    uuid: copy.uuid,
    imageId: state.image.id,
    fields: {
      image: state.image.id,
      annotation_type: copy.typeId,
      vector: copy.vector,
      concealed: copy.concealed,
      blurred: copy.blurred,
    },
  });
}

function updateRecord(uuid, fields) {
  const record = state.records.get(uuid);
  if (!record) return;
  applyFields(record, fields);
  record.pending = true;
  outbox.enqueue({ kind: "update", uuid, imageId: state.image.id, id: record.id, version: record.version, fields });
}

function deleteRecord(uuid) {
  const record = state.records.get(uuid);
  if (!record) return;
  state.records.delete(uuid);
  outbox.enqueue({ kind: "delete", uuid, imageId: state.image.id, id: record.id, version: record.version });
}

function changedFields(record, fields) {
  const changed = {};
  const before = fieldsOf(record);
  for (const [name, value] of Object.entries(fields)) {
    if (JSON.stringify(before[name]) !== JSON.stringify(value)) changed[name] = value;
  }
  return changed;
}

/** Save the selection (or "not in image"): true when saved or nothing to save, false when refused. */
function save() {
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
    if (Object.keys(changed).length) {
      const before = {};
      for (const name of Object.keys(changed)) before[name] = fieldsOf(record)[name];
      updateRecord(record.uuid, changed);
      history.push({ kind: "update", uuid: record.uuid, before, after: changed });
    }
  } else {
    const created = { uuid: newUuid(), typeId: type.id, ...fields };
    delete created.annotation_type;
    createRecord(created);
    history.push({ kind: "create", record: { ...created } });
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

function deleteCurrent() {
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
  history.push({ kind: "delete", record: snapshot });
  editor.clear();
  state.niiEdit = null;
  $("#not-in-image").prop("checked", false);
  afterEditorChange({ record: false });
  renderAnnotationList();
}

function reset() {
  editor.clear();
  state.niiEdit = null;
  state.highlight = null;
  setNotInImage(false);
  afterEditorChange();
}

function revert(entry, direction) {
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

function undo() {
  if (editor.drag) return;
  const entry = history.undo();
  if (entry) revert(entry, "undo");
  else showMessage("Nothing to undo on this image.", "info");
}

function redo() {
  if (editor.drag) return;
  const entry = history.redo();
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
function saveAndGo(delta) {
  state.lastSaved = null;
  if (!save()) return;
  state.keep = $("#keep-selection").prop("checked") && state.lastSaved ? state.lastSaved : null;
  step(delta);
}

/** "Keep selection for next image": the saved geometry (or "not in image") as a new, unsaved selection. */
function applyKeptSelection() {
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

function afterEditorChange({ record = true } = {}) {
  const change = editor.takeChange();
  if (change && record) history.push({ kind: "selection", ...change });
  renderEditState();
  renderCoordinates();
  renderUndoButtons();
  markDirty();
}

// --- pointer input -------------------------------------------------------------------------------------

function screenPoint(event) {
  const rect = canvas.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

function toolEvent(event) {
  const screen = screenPoint(event);
  return { screen, view: state.view, image: toImagePixel(state.view, screen, state.image.width, state.image.height) };
}

function updateCursor(event) {
  const screen = screenPoint(event);
  const image = toImagePixel(state.view, screen, state.image.width, state.image.height);
  state.cursor = image;
  $("#cursor-position").text(`${image.x}, ${image.y}`);
}

function handleToolResult(result) {
  if (!result) return;
  if (result.select) {
    startEditing(result.select);
    return;
  }
  if (result.finished || (editor.selection && editor.selection.key === null)) {
    if ($("#not-in-image").prop("checked")) setNotInImage(false);
  }
  if (editor.editingKey === null && state.niiEdit === null) state.highlight = null;
  if (!editor.drag) afterEditorChange();
  else scheduleDraw();
}

canvas.addEventListener("pointerdown", (event) => {
  canvas.focus({ preventScroll: true });
  if (event.button === 1 || (event.button === 0 && state.spaceDown)) {
    event.preventDefault();
    state.panning = { x: event.clientX, y: event.clientY };
    canvas.classList.add("panning");
    canvas.setPointerCapture(event.pointerId);
    return;
  }
  if (event.button !== 0 || !(canAnnotate || canEdit)) return;
  if ($("#not-in-image").prop("checked")) setNotInImage(false);
  canvas.setPointerCapture(event.pointerId);
  updateCursor(event);
  handleToolResult(editor.pointerDown(toolEvent(event)));
});

canvas.addEventListener("pointermove", (event) => {
  if (state.panning) {
    state.view = panBy(state.view, event.clientX - state.panning.x, event.clientY - state.panning.y);
    state.panning = { x: event.clientX, y: event.clientY };
    state.fitted = false;
    interacting();
    scheduleDraw();
    return;
  }
  updateCursor(event);
  if (canAnnotate || canEdit) {
    editor.pointerMove(toolEvent(event));
    if (editor.drag || editor.drawing) renderCoordinates();
  }
  scheduleDraw();
});

canvas.addEventListener("pointerup", (event) => {
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  if (state.panning) {
    state.panning = null;
    canvas.classList.remove("panning");
    return;
  }
  if (event.button !== 0 || !(canAnnotate || canEdit)) return;
  updateCursor(event);
  handleToolResult(editor.pointerUp(toolEvent(event)));
});

canvas.addEventListener("dblclick", (event) => {
  event.preventDefault();
  handleToolResult(editor.doubleClick());
});

canvas.addEventListener("pointerleave", () => {
  if (editor.drag || state.panning) return;
  state.cursor = null;
  $("#cursor-position").text("–");
  scheduleDraw();
});

canvas.addEventListener("auxclick", (event) => event.preventDefault());
canvas.addEventListener("mousedown", (event) => {
  if (event.button === 1) event.preventDefault(); // no autoscroll
});

canvas.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const factor = Math.pow(1.0015, -event.deltaY * (event.deltaMode === 1 ? 33 : 1));
    zoomBy(factor, screenPoint(event));
  },
  { passive: false },
);

// --- keyboard --------------------------------------------------------------------------------------------

function modalOpen() {
  return document.querySelector(".modal.show") !== null;
}

function toggleShortcuts() {
  window.bootstrap.Modal.getOrCreateInstance(document.getElementById("shortcuts-dialog")).toggle();
}

$("#shortcuts-button").on("click", toggleShortcuts);

function toggleFlag(selector) {
  const $box = $(selector);
  if ($box.length && !$box.prop("disabled")) $box.prop("checked", !$box.prop("checked"));
}

document.addEventListener("keydown", (event) => {
  if (isTyping(event.target)) return;
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
    const index = key === "0" ? 9 : Number(key) - 1;
    const option = $("#annotation-type option").get(index);
    if (option && option.value) {
      $("#annotation-type").val(option.value);
      onTypeChanged();
    }
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
    }
    return;
  }
  if (event.repeat) return;
  const actions = {
    v: () => save(),
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

// --- never lose work ----------------------------------------------------------------------------------

keepOutboxAlive(outbox);

// --- start --------------------------------------------------------------------------------------------

async function start() {
  $("#annotation-type").val(String(config.mainType ?? types[0]?.id ?? ""));
  const params = new URLSearchParams(window.location.search);
  const filter = params.get("filter");
  if (filter && typeById.has(Number(filter))) {
    $("#image-filter").val(filter);
    imageList.setFilter(Number(filter));
  }
  onTypeChanged();
  outbox.adoptOrphans();
  renderSaveStatus();
  resizeCanvas();
  await openImage(config.image, { mode: "replace" });
  const edit = Number(params.get("edit"));
  if (edit) {
    const record = [...state.records.values()].find((candidate) => candidate.id === edit);
    if (record) startEditing(record.uuid);
    else showMessage(`Annotation ${edit} is not on this image.`, "warning");
  }
  outbox.flush();
  if (outbox.conflicts().length) showNextConflict();
}

window.annotatePage = {
  state,
  editor,
  outbox,
  imageList,
  get view() {
    return state.view;
  },
  get canvasRect() {
    const rect = canvas.getBoundingClientRect();
    return { left: rect.left, top: rect.top, width: rect.width, height: rect.height };
  },
  imageToClient(x, y) {
    const rect = canvas.getBoundingClientRect();
    return { x: rect.left + x * state.view.scale + state.view.x, y: rect.top + y * state.view.scale + state.view.y };
  },
  /** Forget the preloaded images and annotations (for the benchmark's cold switches). */
  dropCaches() {
    images.clear();
    annotationCache.clear();
  },
  /** Ids of the images fetched and decoded ahead (and the current one). */
  decodedImages() {
    return images.decodedIds();
  },
  /** Show ``view`` at once, as one step of a pan or zoom. */
  setView(view) {
    state.view = { ...view };
    state.fitted = false;
    interacting();
    drawNow();
  },
  /** Draw at once as after a gesture (the shape layer rendered for the current view). */
  drawSettled() {
    state.interacting = false;
    drawNow();
  },
};

start();
