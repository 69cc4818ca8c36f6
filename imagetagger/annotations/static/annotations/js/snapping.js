// Snapping while drawing or moving a vertex (no DOM): the pointer's image point is pulled onto a
// vertex of another label, or onto an image edge, when it lies within a few SCREEN pixels of it (so
// it feels the same at every zoom and rotation). Vertices win over edges; a corner of the image
// snaps both coordinates.
//
// Exports:
//   SNAP_RADIUS                       screen pixels within which a target pulls the point
//   shapeVertices(vectorType, points) the vertices a label offers (a box: its four corners)
//   snapPoint(image, view, targets, imageW, imageH, radiusPx?, exclude?)
//       -> {point: {x, y}, target: null | {kind: "vertex" | "edge", x, y}}
//       ``image``: the pointer in (fractional or whole) image pixels; ``targets``: [{x, y, key?}]
//       vertices; those whose key is ``exclude`` (the label being edited) are skipped.
//       The point returned is in whole image pixels inside the image.

import { VECTOR_TYPE, clampPoint, imageToScreen, roundPoint } from "./geometry.js";

export const SNAP_RADIUS = 8;

export function shapeVertices(vectorType, points) {
  if (!points || points.length === 0) return [];
  if (vectorType === VECTOR_TYPE.BOX && points.length === 2) {
    const [a, b] = points;
    return [
      { x: a.x, y: a.y },
      { x: b.x, y: a.y },
      { x: b.x, y: b.y },
      { x: a.x, y: b.y },
    ];
  }
  return points.map((p) => ({ x: p.x, y: p.y }));
}

export function snapPoint(image, view, targets, imageW, imageH, radiusPx = SNAP_RADIUS, exclude = null) {
  const screen = imageToScreen(view, image);
  let best = null;
  let bestDistance = radiusPx;
  for (const target of targets) {
    if (exclude !== null && target.key === exclude) continue;
    const s = imageToScreen(view, target);
    const distance = Math.hypot(s.x - screen.x, s.y - screen.y);
    if (distance <= bestDistance) {
      best = target;
      bestDistance = distance;
    }
  }
  if (best) {
    const point = clampPoint(roundPoint(best), imageW, imageH);
    return { point, target: { kind: "vertex", ...point } };
  }
  // Image edges: each coordinate on its own, measured on the screen (the edge's screen distance).
  const point = clampPoint(roundPoint(image), imageW, imageH);
  let snapped = false;
  const edgeDistance = (edge) => {
    const s = imageToScreen(view, edge);
    return Math.hypot(s.x - screen.x, s.y - screen.y);
  };
  for (const x of [0, imageW]) {
    if (edgeDistance({ x, y: image.y }) <= radiusPx) {
      point.x = x;
      snapped = true;
    }
  }
  for (const y of [0, imageH]) {
    if (edgeDistance({ x: image.x, y }) <= radiusPx) {
      point.y = y;
      snapped = true;
    }
  }
  return { point, target: snapped ? { kind: "edge", ...point } : null };
}
