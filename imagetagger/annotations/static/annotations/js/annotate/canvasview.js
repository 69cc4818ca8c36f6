// The canvas: what is drawn (shapesForDraw), when (one frame at a time), zoom and pan, and the
// pointer input that drives the shape editor (tools.js).

import { ShapeLayer, drawScene, prepareCanvas } from "../draw.js";
import { fitView, panBy, rotateView, toImagePixel, zoomAt } from "../geometry.js";
import { TwoFingers } from "../pinch.js";
import { afterEditorChange } from "./editing.js";
import { colorOf } from "./legend.js";
import { startEditing } from "./labellist.js";
import { step } from "./navigation.js";
import { ZOOM_STEP, canAnnotate, canEdit, canvas, currentType, editor, isInteractive, isVisible, state, typeById, wrap } from "./page.js";
import { drawOverlays } from "./overlays.js";
import { renderCoordinates, setNotInImage } from "./typepicker.js";

const $ = window.jQuery;

let ctx = canvas.getContext("2d");
export function markDirty() {
  state.shapesDirty = true;
  scheduleDraw();
}

// --- drawing -----------------------------------------------------------------------------------------

let frame = null;
export const shapeLayer = new ShapeLayer();
let interactionTimer = null;

/** A pan or zoom step: frames copy the shape layer until the gesture has rested for 150 ms. */
export function interacting() {
  state.interacting = true;
  clearTimeout(interactionTimer);
  interactionTimer = setTimeout(() => {
    state.interacting = false;
    scheduleDraw();
  }, 150);
}

export function scheduleDraw() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = null;
    drawNow();
  });
}

export function shapesForDraw() {
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
    if (!isVisible(record)) continue; // hidden labels: not drawn, not hit-testable
    const sameType = type && record.typeId === type.id;
    const z = state.zOrder.get(record.uuid) || 0; // z-order of this page session (arrange.js)
    if (sameType && isInteractive(record)) editable.push({ key: record.uuid, points: record.points, z });
    if (!sameType && !showAll) continue;
    if (record.uuid === editing) continue;
    if (state.groupDrag && state.group.has(record.uuid)) continue; // drawn moved by arrange.js
    shapes.push({
      id: record.uuid,
      vectorType: recordType.vector_type,
      points: record.points,
      color: colorOf(record.typeId),
      faint: !sameType,
      concealed: record.concealed && recordType.enable_concealed,
      blurred: record.blurred && recordType.enable_blurred,
      machine: record.machine,
      highlighted: record.uuid === state.highlight,
      z,
    });
  }
  editor.setShapes(canAnnotate || canEdit ? editable : []);
  state.shapes = shapes;
  state.shapesDirty = false;
  state.layerVersion += 1;
  return shapes;
}

function selectionWithColor() {
  const selection = editor.selectionForDraw();
  const type = currentType();
  return selection && type ? { ...selection, color: colorOf(type.id) } : selection;
}

export function drawNow() {
  const shapes = shapesForDraw();
  // The image with brightness/contrast/saturation applied once (viewtools.js), else filtered live.
  const copy = state.filteredImage;
  const filtered = copy && copy.source === state.bitmap && copy.filter === state.imageFilter ? copy.image : null;
  const nii = $("#not-in-image").prop("checked");
  drawScene(ctx, {
    view: state.view,
    width: state.size.width,
    height: state.size.height,
    image: filtered || state.bitmap,
    imageWidth: state.image.width,
    imageHeight: state.image.height,
    shapes,
    selection: nii ? null : selectionWithColor(),
    cursor: state.panning ? null : state.cursor,
    layer: shapeLayer,
    layerVersion: state.layerVersion,
    quick: state.interacting,
    fillAlpha: state.fillAlpha,
    imageFilter: filtered ? "none" : state.imageFilter,
  });
  drawOverlays(ctx);
  for (const hook of frameHooks) hook(ctx);
  $("#zoom-level").text(`${Math.round(state.view.scale * 100)}%`);
}

/** Functions called with the context after each frame (the view tools' snap mark, group, minimap). */
export const frameHooks = [];

export function fitToCanvas() {
  const rotation = state.view.rotation || 0; // a rotated view stays rotated from image to image
  state.view = fitView(state.image.width, state.image.height, state.size.width, state.size.height, 8, rotation);
  state.fitted = true;
  scheduleDraw();
}

export function resizeCanvas() {
  const width = Math.max(1, Math.floor(wrap.clientWidth));
  const height = Math.max(1, Math.floor(wrap.clientHeight));
  if (width === state.size.width && height === state.size.height) return;
  state.size = { width, height };
  ctx = prepareCanvas(canvas, width, height);
  if (state.fitted) fitToCanvas();
  drawNow();
}

new ResizeObserver(resizeCanvas).observe(wrap);

export function zoomBy(factor, screenPoint = { x: state.size.width / 2, y: state.size.height / 2 }) {
  state.view = zoomAt(state.view, factor, screenPoint);
  state.fitted = false;
  interacting();
  scheduleDraw();
}

export function zoomTo(scale) {
  zoomBy(scale / state.view.scale);
}

/** Turn the view by a multiple of 90° (positive: clockwise) about the canvas centre; a fitted view stays fitted. */
export function rotateBy(degrees) {
  if (state.fitted) {
    state.view = { ...state.view, rotation: (state.view.rotation || 0) + degrees };
    fitToCanvas();
  } else {
    state.view = rotateView(state.view, degrees, { x: state.size.width / 2, y: state.size.height / 2 });
  }
  $("#annotate-canvas").attr("data-rotation", state.view.rotation || 0);
  scheduleDraw();
}

/** Show ``view`` (as one step of a pan: e.g. the minimap). */
export function showView(view) {
  state.view = view;
  state.fitted = false;
  interacting();
  scheduleDraw();
}

$("#zoom-in").on("click", () => zoomBy(ZOOM_STEP));
$("#zoom-out").on("click", () => zoomBy(1 / ZOOM_STEP));
$("#zoom-fit").on("click", fitToCanvas);
$("#zoom-100").on("click", () => zoomTo(1));

// --- pointer input -------------------------------------------------------------------------------------

export function screenPoint(event) {
  const rect = canvas.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

export function toolEvent(event) {
  const screen = screenPoint(event);
  const image = toImagePixel(state.view, screen, state.image.width, state.image.height);
  // Alt held: no snapping. touch: a finger, grabbing vertices and handles from further away.
  return { screen, view: state.view, image, snap: state.snap && !event.altKey, touch: event.pointerType === "touch" };
}

export function updateCursor(event) {
  const screen = screenPoint(event);
  const image = toImagePixel(state.view, screen, state.image.width, state.image.height);
  state.cursor = image;
  $("#cursor-position").text(`${image.x}, ${image.y}`);
}

export function handleToolResult(result) {
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

// Fingers on the canvas: one draws and edits like the mouse; a second one turns the gesture into a pinch
// (zoom about the fingers' midpoint) and two-finger pan, dropping what the first finger had begun; the
// editor hears nothing more until every finger is lifted.
const fingers = new TwoFingers();

function endTouch(event) {
  if (event.pointerType !== "touch") return false;
  const pinched = fingers.up(event.pointerId);
  state.pinching = fingers.active;
  return pinched; // the editor does not hear about fingers of a pinch
}

canvas.addEventListener("pointerdown", (event) => {
  canvas.focus({ preventScroll: true });
  if (event.pointerType === "touch") {
    canvas.setPointerCapture(event.pointerId);
    const wasActive = fingers.active;
    if (fingers.down(event.pointerId, screenPoint(event), state.view)) {
      editor.cancelDrag();
      state.pinching = true;
      scheduleDraw();
    }
    if (wasActive || fingers.active) return;
  }
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
  // The editor hit-tests its shapes, which are refreshed when a frame is drawn: a press that comes
  // before the next frame (a z-order change, a hidden label) must not see the previous ones.
  shapesForDraw();
  handleToolResult(editor.pointerDown(toolEvent(event)));
});

canvas.addEventListener("pointermove", (event) => {
  if (event.pointerType === "touch") {
    const view = fingers.move(event.pointerId, screenPoint(event));
    if (view) {
      state.view = view;
      state.fitted = false;
      interacting();
      scheduleDraw();
    }
    if (fingers.active) return;
  }
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

canvas.addEventListener("pointercancel", (event) => {
  if (endTouch(event)) return;
  if (editor.cancelDrag()) afterEditorChange();
});

canvas.addEventListener("pointerup", (event) => {
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  if (endTouch(event)) return;
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

