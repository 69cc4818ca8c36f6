// The view tools of the annotate page (the #view-tools group of the toolbar): the fill opacity of the
// labels and "outlines only", the image's brightness, contrast and saturation (a filter on the image
// only: the shape layer is never re-rendered for it), snapping on/off — all kept for the browser
// session (sessionStorage) —, turning the view by 90°, full screen, and the minimap shown while part
// of the image is off the canvas (click or drag in it to show that part; arrow keys pan).
//
// The view transform itself (zoom, pan, rotation) lives in canvasview.js (zoomBy, zoomTo,
// fitToCanvas, rotateBy, showView) and geometry.js.

import { prepareCanvas } from "../draw.js";
import { centreOn, imageFilterCss, minimapLayout, minimapRect, needsMinimap } from "../viewmath.js";
import { frameHooks, markDirty, rotateBy, scheduleDraw, showView } from "./canvasview.js";
import { state, wrap } from "./page.js";

const $ = window.jQuery;
const STORAGE_KEY = "imagetagger.annotate.look";
export const DEFAULT_LOOK = Object.freeze({ fill: 16, outline: false, brightness: 100, contrast: 100, saturation: 100, snap: true });
const SLIDERS = { fill: "#fill-opacity", brightness: "#image-brightness", contrast: "#image-contrast", saturation: "#image-saturation" };

// --- display settings ------------------------------------------------------------------------------------

function loadLook() {
  try {
    const stored = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "{}");
    const look = { ...DEFAULT_LOOK };
    for (const name of Object.keys(DEFAULT_LOOK)) {
      if (typeof stored[name] === typeof DEFAULT_LOOK[name]) look[name] = stored[name];
    }
    return look;
  } catch {
    return { ...DEFAULT_LOOK };
  }
}

function renderLook() {
  const look = state.look;
  for (const [name, selector] of Object.entries(SLIDERS)) {
    $(selector).val(look[name]);
    $(`${selector}-value`).text(`${look[name]} %`);
  }
  $("#fill-opacity").prop("disabled", look.outline);
  $("#outline-only").prop("checked", look.outline);
  $("#snap-toggle").prop("checked", look.snap);
  const changed = Object.keys(DEFAULT_LOOK).some((name) => look[name] !== DEFAULT_LOOK[name]);
  $("#display-button").toggleClass("active", changed);
}

/** Apply ``changes`` to the display settings: stored for the session, drawn at once. */
export function setLook(changes) {
  const before = { fillAlpha: state.fillAlpha };
  state.look = { ...state.look, ...changes };
  state.fillAlpha = state.look.outline ? 0 : state.look.fill / 100;
  state.imageFilter = imageFilterCss(state.look);
  state.snap = state.look.snap;
  try {
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state.look));
  } catch {
    // private mode without storage: the settings last until the page is left
  }
  renderLook();
  if (before.fillAlpha !== state.fillAlpha) markDirty(); // the shape layer renders the fills anew
  else scheduleDraw(); // the image filter: only the image is drawn differently
}

for (const [name, selector] of Object.entries(SLIDERS)) {
  $(selector).on("input", function onSlide() {
    setLook({ [name]: Number(this.value) });
  });
}
$("#outline-only").on("change", function onOutline() {
  setLook({ outline: this.checked });
});
$("#snap-toggle").on("change", function onSnap() {
  setLook({ snap: this.checked });
});
$("#view-reset").on("click", () => setLook({ ...DEFAULT_LOOK }));
// A slider's own keys (Home, End, arrows, Page keys) move the slider, not the canvas view.
const SLIDER_KEYS = new Set(["Home", "End", "PageUp", "PageDown", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"]);
$(".view-settings").on("keydown", "input[type=range]", (event) => {
  if (SLIDER_KEYS.has(event.key)) event.stopPropagation();
});

state.look = loadLook();
setLook({});

// --- the filtered image -------------------------------------------------------------------------------------
// A canvas filter on every frame costs about 15 ms on a large image (software rendering): frames
// filter live only while the sliders move; 200 ms after the last change the image is filtered once
// into a copy that frames then draw as they would the image itself.

const FILTER_REST_MS = 200;
const MAX_FILTERED_PIXELS = 40_000_000;
let filterTimer = null;

function filteredCopyNeeded() {
  const copy = state.filteredImage;
  if (state.imageFilter === "none" || !state.bitmap || state.image.width * state.image.height > MAX_FILTERED_PIXELS) return false;
  return !(copy && copy.source === state.bitmap && copy.filter === state.imageFilter);
}

function buildFilteredCopy() {
  filterTimer = null;
  if (!filteredCopyNeeded()) return;
  const { width, height } = state.image; // larger than MAX_FILTERED_PIXELS: always filtered live
  const source = state.bitmap;
  const filter = state.imageFilter;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.filter = filter;
  ctx.drawImage(source, 0, 0, width, height);
  // An ImageBitmap draws as fast as the image itself (a canvas source is slower to copy from).
  const made = window.createImageBitmap ? window.createImageBitmap(canvas) : Promise.resolve(canvas);
  made.then((image) => {
    if (state.bitmap !== source || state.imageFilter !== filter) return;
    const old = state.filteredImage?.image;
    state.filteredImage = { source, filter, image };
    if (old && old.close) old.close();
    scheduleDraw();
  });
}

function keepFilteredCopy() {
  if (state.imageFilter === "none" || !state.bitmap) {
    if (state.filteredImage?.image.close) state.filteredImage.image.close();
    state.filteredImage = null; // nothing to keep (and the memory back)
    return;
  }
  if (!filteredCopyNeeded()) return;
  clearTimeout(filterTimer);
  filterTimer = setTimeout(buildFilteredCopy, FILTER_REST_MS);
}

let lastFilterSeen = null;
frameHooks.push(() => {
  const seen = `${state.imageFilter}|${state.image.id}`;
  if (seen !== lastFilterSeen || (filterTimer === null && filteredCopyNeeded())) {
    lastFilterSeen = seen;
    keepFilteredCopy();
  }
});

// --- rotation and full screen ------------------------------------------------------------------------------

$("#rotate-left").on("click", () => rotateBy(-90));
$("#rotate-right").on("click", () => rotateBy(90));

const workspace = () => document.getElementById("annotate-app");

export function toggleFullscreen() {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
    return;
  }
  const element = workspace();
  if (!element.requestFullscreen) {
    $("#annotate-messages").text("This browser cannot show the page in full screen.");
    return;
  }
  element.requestFullscreen().catch(() => {});
}

document.addEventListener("fullscreenchange", () => {
  const full = Boolean(document.fullscreenElement);
  $("#fullscreen-button")
    .attr("aria-pressed", full ? "true" : "false")
    .attr("title", full ? "Leave full screen (Shift+F or Esc)" : "Full screen (Shift+F)")
    .find("i")
    .attr("class", `bi ${full ? "bi-fullscreen-exit" : "bi-fullscreen"}`);
  $("#fullscreen-button .visually-hidden").text(full ? "Leave full screen" : "Full screen");
});
$("#fullscreen-button").on("click", toggleFullscreen);

// --- the minimap ---------------------------------------------------------------------------------------------

const MINIMAP_MAX = { width: 180, height: 140 };
const minimap = document.createElement("canvas");
minimap.id = "minimap";
minimap.className = "minimap";
minimap.tabIndex = 0;
minimap.hidden = true;
minimap.setAttribute("role", "img");
minimap.setAttribute("aria-label", "Overview of the image: the frame is the part shown; click or drag to show another part, arrow keys pan");
wrap.append(minimap);

let thumb = { key: null, canvas: null, layout: null };

/** The overview of the image rendered once per image, rotation and filter; frames only copy it. */
function thumbnail() {
  const rotation = state.view.rotation || 0;
  const layout = minimapLayout(state.image.width, state.image.height, rotation, MINIMAP_MAX.width, MINIMAP_MAX.height);
  const key = [state.image.id, rotation, state.imageFilter, layout.width, layout.height].join("|");
  if (thumb.key === key && thumb.bitmap === state.bitmap) return thumb;
  const ratio = window.devicePixelRatio || 1;
  const canvas = thumb.canvas || document.createElement("canvas");
  canvas.width = Math.round(layout.width * ratio);
  canvas.height = Math.round(layout.height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#1e1e1e";
  ctx.fillRect(0, 0, layout.width, layout.height);
  if (state.bitmap) {
    const view = layout.view;
    ctx.save();
    if (state.imageFilter !== "none") ctx.filter = state.imageFilter;
    ctx.translate(view.x, view.y);
    ctx.rotate(((view.rotation || 0) * Math.PI) / 180);
    ctx.drawImage(state.bitmap, 0, 0, state.image.width * view.scale, state.image.height * view.scale);
    ctx.restore();
  }
  thumb = { key, canvas, layout, bitmap: state.bitmap };
  return thumb;
}

function drawMinimap() {
  const show = Boolean(state.bitmap) && needsMinimap(state.view, state.image.width, state.image.height, state.size.width, state.size.height);
  if (minimap.hidden === show) minimap.hidden = !show;
  if (!show) return;
  const { canvas, layout } = thumbnail();
  const ctx = prepareCanvas(minimap, layout.width, layout.height);
  ctx.drawImage(canvas, 0, 0, layout.width, layout.height);
  const rect = minimapRect(state.view, state.size.width, state.size.height, layout.view);
  ctx.save();
  ctx.fillStyle = "rgba(0, 0, 0, 0.35)"; // darken what is off the canvas
  ctx.beginPath();
  ctx.rect(0, 0, layout.width, layout.height);
  ctx.rect(rect.x, rect.y, rect.width, rect.height);
  ctx.fill("evenodd");
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#FFD400";
  ctx.strokeRect(rect.x, rect.y, rect.width, rect.height);
  ctx.restore();
}

function centreOnMinimap(event) {
  const box = minimap.getBoundingClientRect();
  const point = { x: event.clientX - box.left, y: event.clientY - box.top };
  showView(centreOn(state.view, thumb.layout.view, point, state.size.width, state.size.height));
}

let minimapDrag = false;
minimap.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  event.stopPropagation();
  minimapDrag = true;
  minimap.setPointerCapture(event.pointerId);
  centreOnMinimap(event);
});
minimap.addEventListener("pointermove", (event) => {
  if (!minimapDrag) return;
  event.stopPropagation();
  centreOnMinimap(event);
});
const endMinimapDrag = (event) => {
  minimapDrag = false;
  if (minimap.hasPointerCapture(event.pointerId)) minimap.releasePointerCapture(event.pointerId);
};
minimap.addEventListener("pointerup", endMinimapDrag);
minimap.addEventListener("pointercancel", endMinimapDrag);
minimap.addEventListener("wheel", (event) => event.stopPropagation());
minimap.addEventListener("keydown", (event) => {
  const steps = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  const move = steps[event.key];
  if (!move) return;
  event.preventDefault();
  event.stopPropagation();
  const distance = Math.round(Math.min(state.size.width, state.size.height) / 5);
  showView({ ...state.view, x: state.view.x + move[0] * distance, y: state.view.y + move[1] * distance });
});

frameHooks.push(drawMinimap);

// --- keys --------------------------------------------------------------------------------------------------

/** Shift+R / Shift+E turn the view, Shift+F full screen, Shift+O outlines only; true when used. */
export function viewKey(event) {
  if (!event.shiftKey || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return false;
  const lower = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const actions = {
    r: () => rotateBy(90),
    e: () => rotateBy(-90),
    f: toggleFullscreen,
    o: () => setLook({ outline: !state.look.outline }),
  };
  const action = actions[lower];
  if (!action) return false;
  action();
  return true;
}
