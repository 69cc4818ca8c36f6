// One-click shapes: "Outline" (o) — drag a box around an object and get the polygon of its outline;
// "Wand" (w) — click a region and get the polygon of the similar colours around the click, with a
// tolerance slider. The server computes them (OpenCV: GrabCut, flood fill) or, when the team has an
// interactive model backend and the engine select picks it, that backend (a SAM-like model) does.
//
// The answer is never saved by itself: it is placed in the editor as an unsaved shape of the chosen
// polygon type, with a status line saying who made it and how long it took. The labeler edits its
// corners like any drawing (a press on a corner drags it, in the mode too), then saves it (v) or drops it
// (Esc). While a mode is on, other presses on the canvas are prompts, not drawing; o or w again, or Esc
// with nothing proposed, leaves the mode.

import { apiFetch } from "../../../base/js/site.js";
import { drawShapes } from "../draw.js";
import { VECTOR_TYPE, hitVertex, toImagePixel, vectorToPoints } from "../geometry.js";
import { grabRadius } from "../tools.js";
import { frameHooks, scheduleDraw, screenPoint } from "./canvasview.js";
import { afterEditorChange, save } from "./editing.js";
import { colorOf } from "./legend.js";
import { $, canAnnotate, canvas, config, currentType, editor, showMessage, state, types, wrap } from "./page.js";
import { onTypeChanged } from "./typepicker.js";

const MODES = { outline: "#assist-outline", wand: "#assist-wand" };
const MIN_BOX = 4; // image pixels: a smaller drag is a slip, not a box

const assist = {
  mode: null, // "outline" | "wand" | null
  drag: null, // {pointerId, start, end}: the box being dragged (image pixels)
  pending: null, // {imageId, started}: a request on its way
  placed: null, // {imageId, prompt, status}: the proposal now in the editor
  lastWandPoint: null,
  drawingHint: null, // the type's drawing hint, shown again when the mode is left
};

function imagePoint(event) {
  return toImagePixel(state.view, screenPoint(event), state.image.width, state.image.height);
}

function polygonTypes() {
  return types.filter((type) => !type.is_tag && type.vector_type === VECTOR_TYPE.POLYGON);
}

/** The polygon type the proposal will be (the chosen one, or the first polygon type), or null. */
function targetType() {
  const type = currentType();
  if (type && type.vector_type === VECTOR_TYPE.POLYGON) return type;
  const first = polygonTypes()[0];
  if (!first) return null;
  $("#annotation-type").val(String(first.id));
  onTypeChanged(); // writes the polygon's drawing hint: the mode's hint goes back on top of it
  assist.drawingHint = null;
  renderAssist();
  return first;
}

export function setAssistMode(mode) {
  if (!canAnnotate) return;
  if (mode && !polygonTypes().length) {
    showMessage("The outline and wand tools make polygons: this set has no polygon type to draw.", "warning");
    mode = null;
  }
  assist.mode = assist.mode === mode ? null : mode;
  assist.drag = null;
  renderAssist();
}

function renderAssist() {
  for (const [mode, selector] of Object.entries(MODES)) {
    $(selector).toggleClass("active", assist.mode === mode).attr("aria-pressed", String(assist.mode === mode));
  }
  $("#wand-tolerance-group").prop("hidden", assist.mode !== "wand" || Boolean(engine()));
  canvas.classList.toggle("assist-mode", Boolean(assist.mode));
  const hint = {
    outline: "Outline: drag a box around an object (o leaves).",
    wand: "Wand: click a region of similar colour (w leaves).",
  }[assist.mode];
  if (hint) {
    if (assist.drawingHint === null) assist.drawingHint = $("#tool-hint").text();
    $("#tool-hint").text(hint);
  } else if (assist.drawingHint !== null) {
    $("#tool-hint").text(assist.drawingHint);
    assist.drawingHint = null;
  }
  renderStatus();
  scheduleDraw();
}

function engine() {
  const value = $("#assist-engine").val();
  return value ? Number(value) : null;
}

function renderStatus() {
  const $status = $("#assist-status");
  if (assist.pending) {
    $status.prop("hidden", false).attr("data-state", "pending");
    $("#assist-status-text").text(assist.mode === "wand" ? "Finding the region…" : "Outlining…");
  } else if (assist.placed) {
    $status.prop("hidden", false).attr("data-state", "shown");
    $("#assist-status-text").text(assist.placed.status);
  } else {
    $status.prop("hidden", true).attr("data-state", "");
  }
  $("#assist-drop, #assist-save").prop("hidden", !assist.placed);
}

function reason(error) {
  const data = error.data;
  if (data && !data.detail && typeof data === "object") {
    const first = Object.values(data).flat()[0];
    if (first) return String(first);
  }
  return error.message;
}

function describeSource(source) {
  if (source === "grabcut") return "GrabCut";
  if (source === "magic wand") return "the magic wand";
  return `“${source}”`;
}

async function propose(prompt) {
  if (assist.pending) return;
  const type = targetType();
  if (!type) return;
  if (editor.editingKey !== null && editor.selection) {
    showMessage("Save or reset the label you are editing first (v or r).", "warning");
    return;
  }
  const imageId = state.image.id;
  const body = { ...prompt };
  const backend = engine();
  if (backend) body.backend = backend;
  else if (prompt.point) body.tolerance = Number($("#wand-tolerance").val());
  assist.pending = { imageId, started: performance.now() };
  assist.placed = null;
  renderStatus();
  try {
    const data = await apiFetch(config.assist.url.replace("/0/", `/${imageId}/`), { method: "POST", body });
    if (state.image.id !== imageId) return; // the labeler moved on: nothing is placed elsewhere
    const total = Math.round(performance.now() - assist.pending.started);
    const points = vectorToPoints(data.vector);
    if (type.node_count && points.length !== type.node_count) {
      showMessage(`The outline has ${points.length} corners; ${type.name} needs exactly ${type.node_count}.`, "warning");
      return;
    }
    editor.place(points);
    const note = data.note ? ` ${data.note}` : "";
    const status =
      `Proposal by ${describeSource(data.source)} in ${Math.round(data.milliseconds)} ms (${total} ms in all), ` +
      `${points.length} corners, not saved: drag its corners to fix it, then v saves it; Esc drops it.${note}`;
    assist.placed = { imageId, prompt, status };
    afterEditorChange();
  } catch (error) {
    if (state.image.id === imageId) showMessage(`No outline: ${reason(error)}`, "danger");
  } finally {
    assist.pending = null;
    renderStatus();
  }
}

// --- the canvas: presses are prompts while a mode is on --------------------------------------------------

/** A corner of the proposal on screen: the press edits it (the editor has it), it is no prompt. */
function onProposalCorner(event) {
  if (!assist.placed || !editor.selection) return false;
  const radius = grabRadius({ touch: event.pointerType === "touch" });
  return hitVertex(editor.selection.points, state.view, screenPoint(event), radius) >= 0;
}

function claims(event) {
  return (
    assist.mode &&
    event.target === canvas &&
    canAnnotate &&
    !state.spaceDown &&
    (event.pointerType !== "mouse" || event.button === 0) &&
    !onProposalCorner(event)
  );
}

wrap.addEventListener(
  "pointerdown",
  (event) => {
    if (!claims(event)) return;
    event.stopPropagation();
    if (!event.isPrimary) {
      assist.drag = null; // a second finger: no prompt (leave the mode to pinch)
      scheduleDraw();
      return;
    }
    canvas.focus({ preventScroll: true });
    canvas.setPointerCapture(event.pointerId);
    const start = imagePoint(event);
    assist.drag = { pointerId: event.pointerId, start, end: start };
  },
  { capture: true },
);

wrap.addEventListener(
  "pointermove",
  (event) => {
    if (!assist.drag || event.pointerId !== assist.drag.pointerId) return;
    event.stopPropagation();
    assist.drag.end = imagePoint(event);
    scheduleDraw();
  },
  { capture: true },
);

function endDrag(event, use) {
  const drag = assist.drag;
  if (!drag || event.pointerId !== drag.pointerId) return;
  event.stopPropagation();
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  assist.drag = null;
  scheduleDraw();
  if (!use) return;
  const end = imagePoint(event);
  const box = [Math.min(drag.start.x, end.x), Math.min(drag.start.y, end.y), Math.max(drag.start.x, end.x), Math.max(drag.start.y, end.y)];
  const small = box[2] - box[0] < MIN_BOX || box[3] - box[1] < MIN_BOX;
  if (assist.mode === "wand") {
    assist.lastWandPoint = [end.x, end.y];
    propose({ point: assist.lastWandPoint });
  } else if (small) {
    showMessage("Drag a box around the whole object: its outline is found inside the box.", "info");
  } else {
    propose({ box });
  }
}

wrap.addEventListener("pointerup", (event) => endDrag(event, true), { capture: true });
wrap.addEventListener("pointercancel", (event) => endDrag(event, false), { capture: true });

function drawAssist(ctx) {
  if (assist.placed && (!editor.selection || editor.selection.key !== null || assist.placed.imageId !== state.image.id)) {
    assist.placed = null; // saved, dropped or replaced: the status goes with it
    renderStatus();
  }
  const drag = assist.drag;
  if (!drag || assist.mode !== "outline") return;
  const type = currentType();
  const points = [
    { x: Math.min(drag.start.x, drag.end.x), y: Math.min(drag.start.y, drag.end.y) },
    { x: Math.max(drag.start.x, drag.end.x), y: Math.max(drag.start.y, drag.end.y) },
  ];
  drawShapes(ctx, state.view, [
    { id: "assist-box", vectorType: VECTOR_TYPE.BOX, points, color: type ? colorOf(type.id) : "#0d6efd", machine: true, current: true },
  ]);
}

frameHooks.push(drawAssist);

// --- controls and keys -----------------------------------------------------------------------------------

/** o and w switch the modes; Esc leaves a mode when nothing is proposed. True when the key was used. */
export function assistKey(event) {
  if (!canAnnotate || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey || event.repeat) return false;
  const lower = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (lower === "o" || lower === "w") {
    setAssistMode(lower === "o" ? "outline" : "wand");
    return true;
  }
  if (event.key === "Escape" && assist.mode && !editor.selection && !assist.drag) {
    setAssistMode(null);
    return true;
  }
  return false;
}

let toleranceTimer = null;

$("#assist-outline").on("click", () => setAssistMode("outline"));
$("#assist-wand").on("click", () => setAssistMode("wand"));
$("#assist-engine").on("change", renderAssist);
$("#assist-save").on("click", () => save());
$("#assist-drop").on("click", () => {
  editor.clear();
  afterEditorChange();
});
$("#wand-tolerance").on("input", function onTolerance() {
  $("#wand-tolerance-value").text(this.value);
  // A wand proposal on screen follows the slider: the same click again with the new tolerance.
  const placed = assist.placed;
  if (!placed || !placed.prompt.point) return;
  clearTimeout(toleranceTimer);
  toleranceTimer = setTimeout(() => {
    if (assist.placed === placed) propose({ point: placed.prompt.point });
  }, 250);
});
