// Rendering of the annotation canvas on the Canvas 2D API. No DOM queries: callers pass a context.
//
// Stable exports (the verification page imports them; do not rename):
//   COLORS                                 the palette below (documented per key)
//   prepareCanvas(canvas, cssWidth, cssHeight) -> ctx   size the backing store for devicePixelRatio
//   drawScene(ctx, scene)                  clear, draw the image, every shape, the selection, the crosshair
//   drawShapes(ctx, view, shapes, options) only the shapes (batched by style, culled to the viewport)
//   drawSelection(ctx, view, selection)    the shape being drawn or edited, with vertex handles
//   drawCrosshair(ctx, view, cursor, imageW, imageH, cssW, cssH)  lines through the cursor + label
//   shapeStyle(shape, fillAlpha?)          -> {stroke, width, dash, fill} of one shape (fillAlpha: the
//                                          fill's opacity 0…1, FILL_ALPHA by default; 0 = outline only)
//   ShapeLayer                             the shapes rendered once into an offscreen canvas, then
//                                          copied while panning and zooming (scene.layer)
//
// scene = {
//   view: {scale, x, y, rotation?},        see geometry.js (the image is drawn turned with the view)
//   width, height,                         canvas size in CSS pixels
//   image: HTMLImageElement|ImageBitmap|null, imageWidth, imageHeight,
//   imageFilter: optional CSS filter string for the image only (brightness, contrast, saturation),
//   fillAlpha: optional opacity of the fills (0 = outlines only), see shapeStyle,
//   shapes: [{id, vectorType, points: [{x, y}], color, concealed, blurred, machine, highlighted, current,
//             dimmed, faint, z}],
//           color: the type's "#rrggbb" (stroke, a translucent fill for boxes and polygons);
//           highlighted: on top in the highlight colour; current: on top, wider (the verification
//           page's annotation); dimmed: drawn transparent (the others around it); faint: thinner,
//           lighter fill (labels of the types other than the one being drawn); z: draw order
//           (default 0: drawn batched by style; below 0 before them, above 0 after them, by z)
//   selection: null | {vectorType, points, closed, cursor: {x, y}|null, handles: "vertices"|"box"|null,
//              color},
//   cursor: null | {x, y} (image pixels, for the crosshair),
//   layer: optional ShapeLayer, layerVersion: changes whenever ``shapes`` change,
//   quick: true while the user pans or zooms (the layer may then be shown moved/scaled, unrendered),
// }
// Markings independent of the colour: machine-made (while no human accepted or edited it, see
// isMachineLooking) is dashed, concealed is dotted (both: dash-dot), blurred has a soft wide halo.

import { VECTOR_TYPE, boxHandles, boundsOf, imageToScreen, normalizeBox, visibleImageRect } from "./geometry.js";
import { normalizeColor, withAlpha } from "./schema.js";

export const COLORS = Object.freeze({
  shape: "#CC4444", // an existing annotation whose type has no colour
  highlighted: "#FF1A1A", // the current one (being edited, or picked on the verification page)
  concealed: "#E69F00", // the concealed badge (the canvas marks it by a dotted outline)
  blurred: "#56B4E9", // the blurred badge (the canvas marks it by a halo)
  concealedBlurred: "#CC79A7", // both flags
  selection: "#00E060", // the shape being drawn or edited, when no type colour is given
  handle: "#FFFFFF", // vertex handles (outlined in the selection colour)
  crosshair: "rgba(255, 255, 255, 0.75)",
  crosshairShadow: "rgba(0, 0, 0, 0.6)",
  background: "#1e1e1e",
});

export const POINT_RADIUS = 4;
export const HANDLE_RADIUS = 4;
export const MACHINE_DASH = [6, 4];
export const CONCEALED_DASH = [2, 3];
export const MACHINE_CONCEALED_DASH = [8, 3, 2, 3];
export const FILL_ALPHA = 0.16;
export const FAINT_FILL_ALPHA = 0.07;
export const HALO_ALPHA = 0.35;
export const STROKE_BATCH = 32;
export const DIMMED_ALPHA = 0.4;

/** Whether an annotation from the API looks machine-made: origin "machine" and neither edited by a human nor accepted. */
export function isMachineLooking(annotation) {
  return annotation.origin === "machine" && !annotation.last_editor && !(annotation.accepts > 0);
}

export function prepareCanvas(canvas, cssWidth, cssHeight) {
  const ratio = (typeof window !== "undefined" && window.devicePixelRatio) || 1;
  const width = Math.max(1, Math.round(cssWidth * ratio));
  const height = Math.max(1, Math.round(cssHeight * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

function isClosed(vectorType) {
  return vectorType === VECTOR_TYPE.BOX || vectorType === VECTOR_TYPE.POLYGON;
}

export function shapeStyle(shape, fillAlpha = FILL_ALPHA) {
  const color = shape.color ? normalizeColor(shape.color) : COLORS.shape;
  let dash = [];
  if (shape.machine && shape.concealed) dash = MACHINE_CONCEALED_DASH;
  else if (shape.machine) dash = MACHINE_DASH;
  else if (shape.concealed) dash = CONCEALED_DASH;
  const strong = shape.highlighted || shape.current;
  return {
    stroke: shape.highlighted ? COLORS.highlighted : color,
    width: strong ? 3 : shape.faint ? 1.5 : 2,
    dash,
    alpha: shape.dimmed ? DIMMED_ALPHA : 1,
    fill:
      isClosed(shape.vectorType) && fillAlpha > 0
        ? withAlpha(color, shape.faint ? (fillAlpha * FAINT_FILL_ALPHA) / FILL_ALPHA : fillAlpha)
        : null,
    halo: shape.blurred ? withAlpha(color, HALO_ALPHA) : null,
  };
}

function styleKey(style) {
  return `${style.stroke}|${style.width}|${style.dash.join(",")}|${style.alpha}|${style.fill}|${style.halo}`;
}

/** Fill (when the style has one), halo and stroke of the current path. */
function paint(ctx, style) {
  if (style.fill) {
    ctx.fillStyle = style.fill;
    ctx.fill();
  }
  if (style.halo) {
    ctx.strokeStyle = style.halo;
    ctx.lineWidth = style.width + 6;
    ctx.setLineDash([]);
    ctx.stroke();
  }
  ctx.strokeStyle = style.stroke;
  ctx.lineWidth = style.width;
  ctx.setLineDash(style.dash);
  ctx.stroke();
}

/** Adds one shape's outline to the current path (screen coordinates). */
function tracePath(ctx, view, vectorType, points, closed) {
  if (points.length === 0) return;
  if (vectorType === VECTOR_TYPE.POINT || points.length === 1) {
    const s = imageToScreen(view, points[0]);
    ctx.moveTo(s.x + POINT_RADIUS, s.y);
    ctx.arc(s.x, s.y, POINT_RADIUS, 0, Math.PI * 2);
    return;
  }
  if (vectorType === VECTOR_TYPE.BOX && points.length === 2) {
    const [a, b] = normalizeBox(points).map((p) => imageToScreen(view, p));
    ctx.rect(a.x, a.y, b.x - a.x, b.y - a.y);
    return;
  }
  const first = imageToScreen(view, points[0]);
  ctx.moveTo(first.x, first.y);
  for (let index = 1; index < points.length; index += 1) {
    const s = imageToScreen(view, points[index]);
    ctx.lineTo(s.x, s.y);
  }
  if (closed) ctx.closePath();
}

const boundsCache = new WeakMap();

function cachedBounds(points) {
  let bounds = boundsCache.get(points);
  if (!bounds) {
    bounds = boundsOf(points);
    boundsCache.set(points, bounds);
  }
  return bounds;
}

/**
 * Draws many shapes quickly: shapes outside the viewport are skipped and the rest are stroked in
 * one path per style. ``options``: {width, height} of the viewport in CSS pixels, margin, fillAlpha.
 */
export function drawShapes(ctx, view, shapes, options = {}) {
  const fillAlpha = options.fillAlpha ?? FILL_ALPHA;
  const viewport = options.width ? visibleImageRect(view, options.width, options.height, options.margin || 0) : null;
  const margin = (POINT_RADIUS + 3) / view.scale;
  const groups = new Map();
  const highlighted = [];
  const ordered = []; // shapes with a z of their own (brought to the front or sent to the back)
  for (const shape of shapes) {
    if (!shape.points || shape.points.length === 0) continue;
    if (viewport) {
      const b = cachedBounds(shape.points);
      if (
        b.maxX < viewport.minX - margin ||
        b.minX > viewport.maxX + margin ||
        b.maxY < viewport.minY - margin ||
        b.minY > viewport.maxY + margin
      ) {
        continue;
      }
    }
    if (shape.highlighted || shape.current) {
      highlighted.push(shape);
      continue;
    }
    if (shape.z) {
      ordered.push(shape);
      continue;
    }
    const style = shapeStyle(shape, fillAlpha);
    const key = styleKey(style);
    if (!groups.has(key)) groups.set(key, { style, shapes: [] });
    groups.get(key).shapes.push(shape);
  }
  ordered.sort((a, b) => a.z - b.z);
  const drawOne = (shape) => {
    const style = shapeStyle(shape, fillAlpha);
    ctx.globalAlpha = style.alpha;
    ctx.beginPath();
    tracePath(ctx, view, shape.vectorType, shape.points, shape.vectorType === VECTOR_TYPE.POLYGON);
    paint(ctx, style);
  };
  ctx.save();
  ctx.lineJoin = "round";
  for (const shape of ordered) if (shape.z < 0) drawOne(shape);
  for (const { style, shapes: group } of groups.values()) {
    ctx.globalAlpha = style.alpha;
    // Moderate batches: one path per shape costs a call each, one path for thousands of shapes
    // makes the rasterizer slow (measured in Chromium's software canvas).
    for (let start = 0; start < group.length; start += STROKE_BATCH) {
      ctx.beginPath();
      for (const shape of group.slice(start, start + STROKE_BATCH)) {
        tracePath(ctx, view, shape.vectorType, shape.points, shape.vectorType === VECTOR_TYPE.POLYGON);
      }
      paint(ctx, style);
    }
  }
  for (const shape of ordered) if (shape.z > 0) drawOne(shape);
  // The current shape last, so that it lies on top.
  ctx.globalAlpha = 1;
  for (const shape of highlighted) {
    const style = shapeStyle(shape, fillAlpha);
    ctx.beginPath();
    tracePath(ctx, view, shape.vectorType, shape.points, shape.vectorType === VECTOR_TYPE.POLYGON);
    ctx.strokeStyle = COLORS.crosshairShadow;
    ctx.lineWidth = style.width + 2;
    ctx.setLineDash([]);
    ctx.stroke();
    paint(ctx, style);
  }
  ctx.restore();
}

function drawHandle(ctx, s, color) {
  ctx.beginPath();
  ctx.rect(s.x - HANDLE_RADIUS, s.y - HANDLE_RADIUS, HANDLE_RADIUS * 2, HANDLE_RADIUS * 2);
  ctx.fillStyle = COLORS.handle;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = color;
  ctx.stroke();
}

/** The selection: its outline (plus the rubber band to the cursor while drawing) and its handles. */
export function drawSelection(ctx, view, selection) {
  if (!selection || !selection.points || selection.points.length === 0) return;
  const { vectorType, points } = selection;
  const color = selection.color ? normalizeColor(selection.color) : COLORS.selection;
  ctx.save();
  ctx.lineJoin = "round";
  ctx.setLineDash([]);
  const outline = selection.cursor && !selection.closed ? [...points, selection.cursor] : points;
  const closed = vectorType === VECTOR_TYPE.POLYGON && selection.closed;
  ctx.beginPath();
  tracePath(ctx, view, vectorType, outline, closed);
  if (closed || (vectorType === VECTOR_TYPE.BOX && !selection.cursor)) {
    ctx.fillStyle = withAlpha(color, FILL_ALPHA);
    ctx.fill();
  }
  ctx.strokeStyle = COLORS.crosshairShadow;
  ctx.lineWidth = 4;
  ctx.stroke();
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.stroke();
  if (selection.handles === "box" && points.length === 2) {
    for (const handle of boxHandles(points)) drawHandle(ctx, imageToScreen(view, handle), color);
  } else if (selection.handles !== null) {
    for (const p of points) drawHandle(ctx, imageToScreen(view, p), color);
  }
  ctx.restore();
}

/** Full-size crosshair lines through the cursor and a label with its position in image pixels. */
export function drawCrosshair(ctx, view, cursor, imageW, imageH, cssW, cssH) {
  if (!cursor) return;
  const s = imageToScreen(view, cursor);
  ctx.save();
  ctx.setLineDash([]);
  for (const [color, width] of [
    [COLORS.crosshairShadow, 3],
    [COLORS.crosshair, 1],
  ]) {
    ctx.beginPath();
    ctx.moveTo(0, Math.round(s.y) + 0.5);
    ctx.lineTo(cssW, Math.round(s.y) + 0.5);
    ctx.moveTo(Math.round(s.x) + 0.5, 0);
    ctx.lineTo(Math.round(s.x) + 0.5, cssH);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.stroke();
  }
  const label = `${cursor.x}, ${cursor.y}`;
  ctx.font = "12px system-ui, sans-serif";
  const textWidth = ctx.measureText(label).width;
  let left = s.x + 10;
  let top = s.y + 10;
  if (left + textWidth + 8 > cssW) left = s.x - textWidth - 18;
  if (top + 20 > cssH) top = s.y - 30;
  ctx.fillStyle = "rgba(0, 0, 0, 0.7)";
  ctx.fillRect(left, top, textWidth + 8, 18);
  ctx.fillStyle = "#FFFFFF";
  ctx.textBaseline = "middle";
  ctx.fillText(label, left + 4, top + 9);
  void imageW;
  void imageH;
  ctx.restore();
}

/**
 * The (many) shapes rendered into an offscreen canvas a margin larger than the viewport. A frame
 * then only copies it: moved while panning within the margin; while ``quick`` (a pan or zoom in
 * progress) also moved beyond it or scaled; the page draws once more with ``quick`` false when the
 * gesture ends, and that frame renders the layer anew.
 */
export class ShapeLayer {
  constructor(createCanvas = () => document.createElement("canvas")) {
    this.createCanvas = createCanvas;
    this.canvas = null;
    this.view = null;
    this.version = null;
    this.renders = 0;
  }

  invalidate() {
    this.version = null;
  }

  draw(ctx, view, shapes, { width, height, version, quick = false, ratio = 1, fillAlpha }) {
    const fresh =
      this.version === version &&
      this.view &&
      this.width === width &&
      this.height === height &&
      (this.view.rotation || 0) === (view.rotation || 0) &&
      this.fillAlpha === fillAlpha;
    const sameScale = fresh && this.view.scale === view.scale;
    const dx = fresh ? view.x - this.view.x : 0;
    const dy = fresh ? view.y - this.view.y : 0;
    const covered = sameScale && Math.abs(dx) <= this.margin && Math.abs(dy) <= this.margin;
    if (!covered && !(fresh && quick)) this.render(view, shapes, width, height, version, ratio, fillAlpha);
    const k = view.scale / this.view.scale;
    const left = (-this.margin - this.view.x) * k + view.x;
    const top = (-this.margin - this.view.y) * k + view.y;
    ctx.save();
    ctx.imageSmoothingEnabled = k !== 1;
    ctx.drawImage(
      this.canvas,
      0,
      0,
      this.canvas.width,
      this.canvas.height,
      left,
      top,
      (width + 2 * this.margin) * k,
      (height + 2 * this.margin) * k,
    );
    ctx.restore();
  }

  render(view, shapes, width, height, version, ratio, fillAlpha) {
    this.margin = Math.round(Math.max(width, height) / 4);
    if (!this.canvas) this.canvas = this.createCanvas();
    const w = Math.max(1, Math.round((width + 2 * this.margin) * ratio));
    const h = Math.max(1, Math.round((height + 2 * this.margin) * ratio));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    const layer = this.canvas.getContext("2d");
    layer.setTransform(1, 0, 0, 1, 0, 0);
    layer.clearRect(0, 0, w, h);
    layer.setTransform(ratio, 0, 0, ratio, this.margin * ratio, this.margin * ratio);
    drawShapes(layer, view, shapes, { width, height, margin: this.margin, fillAlpha });
    Object.assign(this, { view: { ...view }, version, width, height, fillAlpha });
    this.renders += 1;
  }
}

export function drawScene(ctx, scene) {
  const { view, width, height } = scene;
  ctx.save();
  ctx.setLineDash([]);
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, width, height);
  if (scene.image) {
    ctx.imageSmoothingEnabled = view.scale < 2;
    // Only the image is filtered: the shapes (and their offscreen layer) never are.
    if (scene.imageFilter && scene.imageFilter !== "none") ctx.filter = scene.imageFilter;
    if (view.rotation) {
      ctx.translate(view.x, view.y);
      ctx.rotate((view.rotation * Math.PI) / 180);
      ctx.drawImage(scene.image, 0, 0, scene.imageWidth * view.scale, scene.imageHeight * view.scale);
    } else {
      ctx.drawImage(scene.image, view.x, view.y, scene.imageWidth * view.scale, scene.imageHeight * view.scale);
    }
  }
  ctx.restore();
  if (scene.layer) {
    const ratio = (typeof window !== "undefined" && window.devicePixelRatio) || 1;
    scene.layer.draw(ctx, view, scene.shapes || [], {
      width,
      height,
      version: scene.layerVersion,
      quick: scene.quick,
      ratio,
      fillAlpha: scene.fillAlpha,
    });
  } else {
    drawShapes(ctx, view, scene.shapes || [], { width, height, fillAlpha: scene.fillAlpha });
  }
  drawSelection(ctx, view, scene.selection);
  drawCrosshair(ctx, view, scene.cursor, scene.imageWidth, scene.imageHeight, width, height);
}
