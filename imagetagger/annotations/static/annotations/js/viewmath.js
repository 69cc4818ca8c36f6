// Pure maths of the annotate page's view tools (no DOM): the minimap, the image filters, z-order,
// walking through labels with Tab, moving several labels at once and duplicating one.
//
// Exports:
//   imageFilterCss({brightness, contrast, saturation}) -> CSS/canvas filter string ("none" at 100 % each)
//   minimapLayout(imageW, imageH, rotation, maxW, maxH) -> {width, height, view} the overview's size and
//                         its view (geometry.js), turned like the main view
//   minimapRect(view, canvasW, canvasH, miniView) -> {x, y, width, height} the visible part, in minimap pixels
//   needsMinimap(view, imageW, imageH, canvasW, canvasH) -> whether part of the image is off the canvas
//   centreOn(view, miniView, miniPoint, canvasW, canvasH) -> view with the image point under miniPoint centred
//   bringToFront(order, key) / sendToBack(order, key) -> the new z of key (order: Map key -> z, updated)
//   nextLabel(keys, current, backwards) -> the key after/before current (none chosen: the first/last),
//                         or null past either end (Tab then leaves the canvas: no keyboard trap)
//   moveTogether(shapes, dx, dy, imageW, imageH) -> [points] all moved by the same (dx, dy), limited so
//                         that every shape stays inside the image
//   duplicatePlace(points, others, imageW, imageH, step?) -> the points moved by step px (down-right, or
//                         where there is room; 2, 3 … steps when a label of ``others`` lies there, as
//                         the server refuses a label within 5 px of one of its type), or null
//   similarPoints(a, b, pixels?) -> the server's "similar" (same count, each coordinate within ±5 px)

import { boundsOf, fitView, imageToScreen, panBy, screenToImage, visibleImageRect } from "./geometry.js";

export function imageFilterCss({ brightness = 100, contrast = 100, saturation = 100 } = {}) {
  if (brightness === 100 && contrast === 100 && saturation === 100) return "none";
  return `brightness(${brightness / 100}) contrast(${contrast / 100}) saturate(${saturation / 100})`;
}

// --- the minimap ---------------------------------------------------------------------------------------

export function minimapLayout(imageW, imageH, rotation, maxW, maxH) {
  const sideways = rotation === 90 || rotation === 270;
  const shownW = Math.max(1, sideways ? imageH : imageW);
  const shownH = Math.max(1, sideways ? imageW : imageH);
  const scale = Math.min(maxW / shownW, maxH / shownH);
  const width = Math.max(1, Math.round(shownW * scale));
  const height = Math.max(1, Math.round(shownH * scale));
  return { width, height, view: fitView(imageW, imageH, width, height, 0, rotation) };
}

export function minimapRect(view, canvasW, canvasH, miniView) {
  const corners = [
    { x: 0, y: 0 },
    { x: canvasW, y: 0 },
    { x: 0, y: canvasH },
    { x: canvasW, y: canvasH },
  ].map((corner) => imageToScreen(miniView, screenToImage(view, corner)));
  const { minX, minY, maxX, maxY } = boundsOf(corners);
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export function needsMinimap(view, imageW, imageH, canvasW, canvasH) {
  const shown = visibleImageRect(view, canvasW, canvasH);
  const slack = 0.5;
  return shown.minX > slack || shown.minY > slack || shown.maxX < imageW - slack || shown.maxY < imageH - slack;
}

export function centreOn(view, miniView, miniPoint, canvasW, canvasH) {
  const target = imageToScreen(view, screenToImage(miniView, miniPoint));
  return panBy(view, canvasW / 2 - target.x, canvasH / 2 - target.y);
}

// --- z-order (kept for the page session only) -------------------------------------------------------------

export function bringToFront(order, key) {
  let top = 0;
  for (const [other, z] of order) if (other !== key && z > top) top = z;
  order.set(key, top + 1);
  return top + 1;
}

export function sendToBack(order, key) {
  let bottom = 0;
  for (const [other, z] of order) if (other !== key && z < bottom) bottom = z;
  order.set(key, bottom - 1);
  return bottom - 1;
}

// --- Tab through the labels ------------------------------------------------------------------------------

export function nextLabel(keys, current, backwards = false) {
  if (keys.length === 0) return null;
  const index = current === null || current === undefined ? -1 : keys.indexOf(current);
  if (index < 0) return backwards ? keys[keys.length - 1] : keys[0];
  const next = index + (backwards ? -1 : 1);
  return next >= 0 && next < keys.length ? keys[next] : null;
}

// --- several labels at once ------------------------------------------------------------------------------

export function moveTogether(shapes, dx, dy, imageW, imageH) {
  const all = boundsOf(shapes.flat());
  const moveX = Math.min(imageW - all.maxX, Math.max(-all.minX, dx));
  const moveY = Math.min(imageH - all.maxY, Math.max(-all.minY, dy));
  return shapes.map((points) => points.map((p) => ({ x: p.x + moveX, y: p.y + moveY })));
}

export function similarPoints(a, b, pixels = 5) {
  if (a.length !== b.length) return false;
  return a.every((p, index) => Math.abs(p.x - b[index].x) <= pixels && Math.abs(p.y - b[index].y) <= pixels);
}

export function duplicatePlace(points, others, imageW, imageH, step = 10) {
  const { minX, minY, maxX, maxY } = boundsOf(points);
  const pick = (low, high, size, offset) => {
    if (high + offset <= size) return offset;
    if (low - offset >= 0) return -offset;
    return null;
  };
  for (let steps = 1; steps <= 8; steps += 1) {
    const dx = pick(minX, maxX, imageW, step * steps);
    const dy = pick(minY, maxY, imageH, step * steps);
    if (dx === null && dy === null) return null;
    const moved = points.map((p) => ({ x: p.x + (dx ?? 0), y: p.y + (dy ?? 0) }));
    if (!others.some((other) => similarPoints(moved, other))) return moved;
  }
  return null;
}
