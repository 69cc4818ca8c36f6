// Pure geometry of the annotation canvas (no DOM): views, conversions, vectors, hit tests.
//
// Every coordinate a shape holds is in ORIGINAL IMAGE PIXELS (origin top-left, 0 ≤ x ≤ width,
// 0 ≤ y ≤ height, whole numbers once placed). The screen is the canvas in CSS pixels.
// A view is a plain object {scale, x, y, rotation?}: screen = R(image) × scale + (x, y), where R turns
// the image clockwise on the screen by ``rotation`` degrees (0, 90, 180 or 270; absent = 0). Every
// conversion between image and screen goes through imageToScreen / screenToImage, so hit tests, the
// drawing tools and the crosshair work on a rotated view unchanged; saved vectors stay image pixels.
//
// Stable exports (the verification page imports them; do not rename):
//   VECTOR_TYPE                         {BOX: 1, POINT: 2, LINE: 3, MULTI_LINE: 4, POLYGON: 5}
//   fitView(imageW, imageH, canvasW, canvasH, margin?, rotation?) -> view that shows the whole image, centred
//   rotatePoint(p, rotation)  the point turned clockwise about the origin by 0/90/180/270 degrees
//   rotateView(view, degrees, screenPoint) -> view turned by ±90° steps about a fixed screen point
//   visibleImageRect(view, canvasW, canvasH, margin?) -> {minX, minY, maxX, maxY} image area on screen
//   imageToScreen(view, p) -> {x, y} screen      screenToImage(view, p) -> {x, y} (fractional)
//   toImagePixel(view, screenPoint, imageW, imageH) -> {x, y} rounded to integers, clamped inside
//   clampPoint(p, imageW, imageH)  roundPoint(p)
//   zoomAt(view, factor, screenPoint, minScale?, maxScale?) -> view keeping screenPoint fixed
//   panBy(view, dx, dy) -> view
//   pinchView(startView, [a0, b0], [a1, b1]) -> view after a pinch/two-finger pan (screen points)
//   vectorToPoints(vector) -> [{x, y}, …] | null         pointsToVector(points) -> {x1, y1, …}
//   normalizeBox(points) -> [{x: min, y: min}, {x: max, y: max}]
//   validateShape(vectorType, nodeCount, points, imageW, imageH) -> null | "reason" (as vectors.py)
//   nudge(points, dx, dy, imageW, imageH) -> points moved as a whole, kept inside the image
//   resizeBox(points, key, imageW, imageH) -> box after Shift+i/j/k/l ("i" grows up, "k" shrinks
//                                             from the top, "l" grows right, "j" shrinks from the right)
//   boxHandles(points) -> [{name, x, y}] 8 handles in image pixels   dragBoxHandle(points, name, p)
//   hitVertex(points, view, screenPoint, radiusPx) -> index | -1
//   hitBoxHandle(points, view, screenPoint, radiusPx) -> handle name | null
//   hitShape(vectorType, points, view, screenPoint, tolerancePx) -> bool (inside or near)
//   pickShape(shapes, view, screenPoint, tolerancePx) -> index | -1  (shapes: [{vectorType, points, z?}];
//                                             a higher z wins, then the smallest)
//   boundsOf(points) -> {minX, minY, maxX, maxY}
//   distanceToSegment(p, a, b)   pointInPolygon(p, points)   samePoint(a, b)

export const VECTOR_TYPE = Object.freeze({ BOX: 1, POINT: 2, LINE: 3, MULTI_LINE: 4, POLYGON: 5 });

export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;

// --- views ---------------------------------------------------------------------------------------

/** The rotation in {0, 90, 180, 270} (any multiple of 90, negative ones too). */
export function normalizeRotation(rotation) {
  return ((Math.round((rotation || 0) / 90) * 90) % 360 + 360) % 360;
}

/** ``p`` turned clockwise on the screen (y points down) about the origin. */
export function rotatePoint(p, rotation) {
  switch (rotation) {
    case 90:
      return { x: -p.y, y: p.x };
    case 180:
      return { x: -p.x, y: -p.y };
    case 270:
      return { x: p.y, y: -p.x };
    default:
      return { x: p.x, y: p.y };
  }
}

export function fitView(imageW, imageH, canvasW, canvasH, margin = 0, rotation = 0) {
  const turned = normalizeRotation(rotation);
  const sideways = turned === 90 || turned === 270;
  const shownW = Math.max(1, sideways ? imageH : imageW);
  const shownH = Math.max(1, sideways ? imageW : imageH);
  const availableW = Math.max(1, canvasW - 2 * margin);
  const availableH = Math.max(1, canvasH - 2 * margin);
  const scale = Math.min(availableW / shownW, availableH / shownH);
  if (!turned) return { scale, x: (canvasW - imageW * scale) / 2, y: (canvasH - imageH * scale) / 2 };
  // The image centre on the canvas centre.
  const centre = rotatePoint({ x: (imageW * scale) / 2, y: (imageH * scale) / 2 }, turned);
  return { scale, x: canvasW / 2 - centre.x, y: canvasH / 2 - centre.y, rotation: turned };
}

export function imageToScreen(view, p) {
  if (!view.rotation) return { x: p.x * view.scale + view.x, y: p.y * view.scale + view.y };
  const r = rotatePoint(p, view.rotation);
  return { x: r.x * view.scale + view.x, y: r.y * view.scale + view.y };
}

export function screenToImage(view, p) {
  const q = { x: (p.x - view.x) / view.scale, y: (p.y - view.y) / view.scale };
  return view.rotation ? rotatePoint(q, (360 - view.rotation) % 360) : q;
}

export function roundPoint(p) {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

export function clampPoint(p, imageW, imageH) {
  return { x: Math.min(imageW, Math.max(0, p.x)), y: Math.min(imageH, Math.max(0, p.y)) };
}

/** The image pixel under a screen point: rounded to whole pixels, inside the image. */
export function toImagePixel(view, screenPoint, imageW, imageH) {
  return clampPoint(roundPoint(screenToImage(view, screenPoint)), imageW, imageH);
}

/** A view like ``view`` with another scale and rotation that keeps image point ``anchor`` at ``screenPoint``. */
function viewKeeping(scale, rotation, anchor, screenPoint) {
  const r = rotatePoint(anchor, rotation);
  const view = { scale, x: screenPoint.x - r.x * scale, y: screenPoint.y - r.y * scale };
  if (rotation) view.rotation = rotation;
  return view;
}

export function zoomAt(view, factor, screenPoint, minScale = MIN_SCALE, maxScale = MAX_SCALE) {
  const scale = Math.min(maxScale, Math.max(minScale, view.scale * factor));
  return viewKeeping(scale, view.rotation || 0, screenToImage(view, screenPoint), screenPoint);
}

export function panBy(view, dx, dy) {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

/** The view after a two-finger gesture that began on ``startView`` with the fingers at screen points
 * ``[a0, b0]`` and has them now at ``[a1, b1]``: zoomed by the change of their distance, and moved so
 * that the image point first under their midpoint stays under it (pinch to zoom, two fingers to pan). */
export function pinchView(startView, [a0, b0], [a1, b1], minScale = MIN_SCALE, maxScale = MAX_SCALE) {
  const before = Math.hypot(b0.x - a0.x, b0.y - a0.y);
  const after = Math.hypot(b1.x - a1.x, b1.y - a1.y);
  const factor = before > 0 && after > 0 ? after / before : 1;
  const m0 = { x: (a0.x + b0.x) / 2, y: (a0.y + b0.y) / 2 };
  const m1 = { x: (a1.x + b1.x) / 2, y: (a1.y + b1.y) / 2 };
  return panBy(zoomAt(startView, factor, m0, minScale, maxScale), m1.x - m0.x, m1.y - m0.y);
}

/** The view turned by ``degrees`` (a multiple of 90; positive = clockwise) about a fixed screen point. */
export function rotateView(view, degrees, screenPoint) {
  const rotation = normalizeRotation((view.rotation || 0) + degrees);
  return viewKeeping(view.scale, rotation, screenToImage(view, screenPoint), screenPoint);
}

/** The part of the image plane (image pixels, unclamped) the canvas shows, grown by ``margin`` screen pixels. */
export function visibleImageRect(view, canvasW, canvasH, margin = 0) {
  const corners = [
    { x: -margin, y: -margin },
    { x: canvasW + margin, y: -margin },
    { x: -margin, y: canvasH + margin },
    { x: canvasW + margin, y: canvasH + margin },
  ].map((corner) => screenToImage(view, corner));
  return boundsOf(corners);
}

// --- vectors -------------------------------------------------------------------------------------

/** {x1, y1, …, xN, yN} → [{x, y}, …]; null ("not in image") → null. */
export function vectorToPoints(vector) {
  if (vector === null || vector === undefined) return null;
  const points = [];
  for (let index = 1; `x${index}` in vector; index += 1) {
    points.push({ x: vector[`x${index}`], y: vector[`y${index}`] });
  }
  return points;
}

/** [{x, y}, …] → {x1, y1, …} in canonical key order (as vectors.vector_from_points). */
export function pointsToVector(points) {
  const vector = {};
  points.forEach((p, index) => {
    vector[`x${index + 1}`] = p.x;
    vector[`y${index + 1}`] = p.y;
  });
  return vector;
}

export function samePoint(a, b) {
  return a.x === b.x && a.y === b.y;
}

export function normalizeBox(points) {
  const [a, b] = points;
  return [
    { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y) },
    { x: Math.max(a.x, b.x), y: Math.max(a.y, b.y) },
  ];
}

export function boundsOf(points) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  return { minX, minY, maxX, maxY };
}

/**
 * The rules of annotations/vectors.py (validate_vector) on points: null when valid, else a reason.
 * ``nodeCount`` 0 means any number (polygons ≥ 3, multi-lines ≥ 2).
 */
export function validateShape(vectorType, nodeCount, points, imageW, imageH) {
  if (!Array.isArray(points) || points.length === 0) return "Draw a shape first.";
  const count = points.length;
  for (const [index, p] of points.entries()) {
    if (!Number.isInteger(p.x) || !Number.isInteger(p.y)) return `Point ${index + 1} is not on whole pixels.`;
    if (p.x < 0 || p.y < 0 || p.x > imageW || p.y > imageH) {
      return `Point ${index + 1} (${p.x}, ${p.y}) lies outside the image, which is ${imageW} × ${imageH} pixels.`;
    }
  }
  switch (vectorType) {
    case VECTOR_TYPE.BOX:
      if (count !== 2) return `A bounding box has exactly 2 points, not ${count}.`;
      if (!(points[0].x < points[1].x && points[0].y < points[1].y)) {
        return "A bounding box needs x1 < x2 and y1 < y2 (at least 1 pixel wide and high).";
      }
      break;
    case VECTOR_TYPE.POINT:
      if (count !== 1) return `A point has exactly 1 point, not ${count}.`;
      break;
    case VECTOR_TYPE.LINE:
      if (count !== 2) return `A line has exactly 2 points, not ${count}.`;
      break;
    case VECTOR_TYPE.MULTI_LINE:
      if (count < 2) return `A multi-line has at least 2 points, not ${count}.`;
      if (nodeCount && count !== nodeCount) return `This multi-line has exactly ${nodeCount} points, not ${count}.`;
      break;
    case VECTOR_TYPE.POLYGON:
      if (count < 3) return `A polygon has at least 3 points, not ${count}.`;
      if (nodeCount && count !== nodeCount) return `This polygon has exactly ${nodeCount} points, not ${count}.`;
      break;
    default:
      return "Unknown vector type.";
  }
  const pairs = [];
  for (let index = 0; index + 1 < count; index += 1) pairs.push([points[index], points[index + 1]]);
  if (vectorType === VECTOR_TYPE.POLYGON) pairs.push([points[count - 1], points[0]]);
  for (const [index, [a, b]] of pairs.entries()) {
    if (samePoint(a, b)) return `Point ${index + 1} and the next one are the same (${a.x}, ${a.y}).`;
  }
  return null;
}

// --- keyboard moves ------------------------------------------------------------------------------

/** Move all points by (dx, dy), as far as the shape stays inside the image. */
export function nudge(points, dx, dy, imageW, imageH) {
  const { minX, minY, maxX, maxY } = boundsOf(points);
  const moveX = Math.min(imageW - maxX, Math.max(-minX, dx));
  const moveY = Math.min(imageH - maxY, Math.max(-minY, dy));
  return points.map((p) => ({ x: p.x + moveX, y: p.y + moveY }));
}

/** Shift+i/j/k/l on a box (1 px): i grows upward, k shrinks from the top, l grows right, j shrinks from the right. */
export function resizeBox(points, key, imageW, imageH) {
  const [a, b] = normalizeBox(points);
  const top = { ...a };
  const bottom = { ...b };
  if (key === "i") top.y = Math.max(0, top.y - 1);
  else if (key === "k") top.y = Math.min(bottom.y - 1, top.y + 1);
  else if (key === "l") bottom.x = Math.min(imageW, bottom.x + 1);
  else if (key === "j") bottom.x = Math.max(top.x + 1, bottom.x - 1);
  void imageH;
  return [top, bottom];
}

// --- box handles ---------------------------------------------------------------------------------

export const BOX_HANDLE_NAMES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

export function boxHandles(points) {
  const [a, b] = normalizeBox(points);
  const midX = (a.x + b.x) / 2;
  const midY = (a.y + b.y) / 2;
  return [
    { name: "nw", x: a.x, y: a.y },
    { name: "n", x: midX, y: a.y },
    { name: "ne", x: b.x, y: a.y },
    { name: "e", x: b.x, y: midY },
    { name: "se", x: b.x, y: b.y },
    { name: "s", x: midX, y: b.y },
    { name: "sw", x: a.x, y: b.y },
    { name: "w", x: a.x, y: midY },
  ];
}

/** The box with the edges of handle ``name`` moved to image point ``p`` (normalised afterwards). */
export function dragBoxHandle(points, name, p) {
  const [a, b] = normalizeBox(points);
  let [left, top, right, bottom] = [a.x, a.y, b.x, b.y];
  if (name.includes("w")) left = p.x;
  if (name.includes("e")) right = p.x;
  if (name.includes("n")) top = p.y;
  if (name.includes("s")) bottom = p.y;
  return normalizeBox([
    { x: left, y: top },
    { x: right, y: bottom },
  ]);
}

// --- hit tests (tolerances in screen pixels, so they feel the same at every zoom) -----------------

export function distanceToSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  let t = lengthSquared === 0 ? 0 : ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

export function pointInPolygon(p, points) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
    const a = points[i];
    const b = points[j];
    if (a.y > p.y !== b.y > p.y && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

export function hitVertex(points, view, screenPoint, radiusPx) {
  let best = -1;
  let bestDistance = Infinity;
  points.forEach((p, index) => {
    const s = imageToScreen(view, p);
    const distance = Math.hypot(s.x - screenPoint.x, s.y - screenPoint.y);
    if (distance <= radiusPx && distance < bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return best;
}

export function hitBoxHandle(points, view, screenPoint, radiusPx) {
  const handles = boxHandles(points);
  const index = hitVertex(handles, view, screenPoint, radiusPx);
  return index < 0 ? null : handles[index].name;
}

export function hitShape(vectorType, points, view, screenPoint, tolerancePx) {
  if (!points || points.length === 0) return false;
  const screen = points.map((p) => imageToScreen(view, p));
  if (vectorType === VECTOR_TYPE.BOX) {
    const [a, b] = normalizeBox(screen);
    return (
      screenPoint.x >= a.x - tolerancePx &&
      screenPoint.x <= b.x + tolerancePx &&
      screenPoint.y >= a.y - tolerancePx &&
      screenPoint.y <= b.y + tolerancePx
    );
  }
  if (vectorType === VECTOR_TYPE.POLYGON && screen.length >= 3 && pointInPolygon(screenPoint, screen)) return true;
  if (screen.length === 1) return Math.hypot(screen[0].x - screenPoint.x, screen[0].y - screenPoint.y) <= tolerancePx;
  const closed = vectorType === VECTOR_TYPE.POLYGON;
  const count = closed ? screen.length : screen.length - 1;
  for (let index = 0; index < count; index += 1) {
    if (distanceToSegment(screenPoint, screen[index], screen[(index + 1) % screen.length]) <= tolerancePx) return true;
  }
  return false;
}

function areaOf(vectorType, points) {
  if (vectorType === VECTOR_TYPE.BOX || vectorType === VECTOR_TYPE.POLYGON) {
    const { minX, minY, maxX, maxY } = boundsOf(points);
    return (maxX - minX) * (maxY - minY);
  }
  return 0; // points and lines are thin: they win over areas they lie on
}

/**
 * The shape under the screen point; when several are, the one brought to the front (highest z,
 * default 0), then the smallest (a box lying inside another wins), then the one whose left edge
 * lies further left, then the higher one.
 */
export function pickShape(shapes, view, screenPoint, tolerancePx) {
  let best = -1;
  let bestKey = null;
  shapes.forEach((shape, index) => {
    if (!shape.points || !hitShape(shape.vectorType, shape.points, view, screenPoint, tolerancePx)) return;
    const { minX, minY } = boundsOf(shape.points);
    const key = [-(shape.z || 0), areaOf(shape.vectorType, shape.points), minX, minY];
    if (bestKey === null || keyBefore(key, bestKey)) {
      best = index;
      bestKey = key;
    }
  });
  return best;
}

function keyBefore(a, b) {
  for (let index = 0; index < a.length; index += 1) {
    if (a[index] !== b[index]) return a[index] < b[index];
  }
  return false;
}
