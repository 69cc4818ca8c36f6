// Unit tests of geometry.js: run with `node --test imagetagger/annotations/jstests/`.
import assert from "node:assert/strict";
import test from "node:test";

import {
  VECTOR_TYPE,
  boxHandles,
  dragBoxHandle,
  fitView,
  hitBoxHandle,
  hitShape,
  hitVertex,
  imageToScreen,
  normalizeBox,
  nudge,
  panBy,
  pickShape,
  pointsToVector,
  resizeBox,
  screenToImage,
  toImagePixel,
  validateShape,
  vectorToPoints,
  zoomAt,
} from "../static/annotations/js/geometry.js";

const P = (x, y) => ({ x, y });

test("fitView centres the whole image", () => {
  assert.deepEqual(fitView(100, 50, 200, 200), { scale: 2, x: 0, y: 50 });
  assert.deepEqual(fitView(400, 400, 200, 100), { scale: 0.25, x: 50, y: 0 });
});

test("screen and image coordinates convert both ways", () => {
  const view = { scale: 2.5, x: 10, y: -20 };
  const s = imageToScreen(view, P(4, 8));
  assert.deepEqual(s, P(20, 0));
  assert.deepEqual(screenToImage(view, s), P(4, 8));
});

test("toImagePixel rounds to whole pixels and clamps into the image", () => {
  const view = { scale: 2, x: 10, y: 10 };
  assert.deepEqual(toImagePixel(view, P(10 + 2 * 7 + 0.9, 10 + 2 * 3 + 1.1), 100, 80), P(7, 4));
  assert.deepEqual(toImagePixel(view, P(-50, 9999), 100, 80), P(0, 80));
  assert.deepEqual(toImagePixel(view, P(9999, -1), 100, 80), P(100, 0));
});

test("zoomAt keeps the point under the cursor and respects the limits", () => {
  const view = { scale: 1, x: 0, y: 0 };
  const zoomed = zoomAt(view, 2, P(50, 30));
  assert.equal(zoomed.scale, 2);
  assert.deepEqual(screenToImage(zoomed, P(50, 30)), P(50, 30));
  assert.equal(zoomAt(view, 1e9, P(0, 0)).scale, 64);
  assert.deepEqual(panBy(zoomed, 5, -5), { scale: 2, x: zoomed.x + 5, y: zoomed.y - 5 });
});

test("vectors convert to points and back in canonical order", () => {
  const vector = { x1: 1, y1: 2, x2: 3, y2: 4, x3: 5, y3: 6 };
  assert.deepEqual(vectorToPoints(vector), [P(1, 2), P(3, 4), P(5, 6)]);
  assert.deepEqual(Object.keys(pointsToVector(vectorToPoints(vector))), ["x1", "y1", "x2", "y2", "x3", "y3"]);
  assert.equal(vectorToPoints(null), null);
});

test("normalizeBox puts the top-left corner first", () => {
  assert.deepEqual(normalizeBox([P(10, 2), P(3, 8)]), [P(3, 2), P(10, 8)]);
});

test("validateShape follows vectors.py", () => {
  const { BOX, POINT, LINE, MULTI_LINE, POLYGON } = VECTOR_TYPE;
  assert.equal(validateShape(BOX, 0, [P(1, 1), P(5, 5)], 10, 10), null);
  assert.match(validateShape(BOX, 0, [P(5, 1), P(5, 5)], 10, 10), /x1 < x2/);
  assert.match(validateShape(BOX, 0, [P(1, 1)], 10, 10), /exactly 2/);
  assert.equal(validateShape(POINT, 0, [P(0, 0)], 10, 10), null);
  assert.match(validateShape(POINT, 0, [P(11, 0)], 10, 10), /outside the image/);
  assert.match(validateShape(LINE, 0, [P(1, 1), P(1, 1)], 10, 10), /same/);
  assert.equal(validateShape(MULTI_LINE, 0, [P(1, 1), P(2, 2)], 10, 10), null);
  assert.match(validateShape(MULTI_LINE, 3, [P(1, 1), P(2, 2)], 10, 10), /exactly 3/);
  assert.match(validateShape(POLYGON, 0, [P(1, 1), P(2, 2)], 10, 10), /at least 3/);
  assert.match(validateShape(POLYGON, 0, [P(1, 1), P(2, 2), P(1, 1)], 10, 10), /Point 3 and the next/);
  assert.match(validateShape(POLYGON, 4, [P(1, 1), P(2, 2), P(3, 1)], 10, 10), /exactly 4/);
  assert.match(validateShape(POINT, 0, [P(1.5, 1)], 10, 10), /whole pixels/);
});

test("nudge moves whole shapes by one pixel and keeps them inside", () => {
  assert.deepEqual(nudge([P(1, 1), P(5, 5)], 1, 0, 10, 10), [P(2, 1), P(6, 5)]);
  assert.deepEqual(nudge([P(0, 1), P(5, 5)], -1, -1, 10, 10), [P(0, 0), P(5, 4)]);
  assert.deepEqual(nudge([P(3, 3), P(10, 5)], 1, 0, 10, 10), [P(3, 3), P(10, 5)]);
});

test("resizeBox: i grows up, k shrinks from the top, l grows right, j shrinks from the right", () => {
  const box = [P(2, 2), P(5, 5)];
  assert.deepEqual(resizeBox(box, "i", 10, 10), [P(2, 1), P(5, 5)]);
  assert.deepEqual(resizeBox(box, "k", 10, 10), [P(2, 3), P(5, 5)]);
  assert.deepEqual(resizeBox(box, "l", 10, 10), [P(2, 2), P(6, 5)]);
  assert.deepEqual(resizeBox(box, "j", 10, 10), [P(2, 2), P(4, 5)]);
  assert.deepEqual(resizeBox([P(2, 4), P(3, 5)], "k", 10, 10), [P(2, 4), P(3, 5)], "keeps 1 px");
  assert.deepEqual(resizeBox([P(2, 4), P(3, 5)], "j", 10, 10), [P(2, 4), P(3, 5)], "keeps 1 px");
  assert.deepEqual(resizeBox([P(2, 0), P(10, 5)], "i", 10, 10), [P(2, 0), P(10, 5)]);
  assert.deepEqual(resizeBox([P(2, 0), P(10, 5)], "l", 10, 10), [P(2, 0), P(10, 5)]);
});

test("box handles are hit and dragged", () => {
  const view = { scale: 2, x: 0, y: 0 };
  const box = [P(10, 10), P(20, 30)];
  assert.equal(boxHandles(box).length, 8);
  assert.equal(hitBoxHandle(box, view, P(41, 61), 5), "se");
  assert.equal(hitBoxHandle(box, view, P(30, 20), 5), "n");
  assert.equal(hitBoxHandle(box, view, P(30, 40), 5), null);
  assert.deepEqual(dragBoxHandle(box, "se", P(25, 35)), [P(10, 10), P(25, 35)]);
  assert.deepEqual(dragBoxHandle(box, "w", P(30, 0)), [P(20, 10), P(30, 30)], "flipped past the other edge");
});

test("hit tests of vertices and shapes", () => {
  const view = { scale: 1, x: 0, y: 0 };
  assert.equal(hitVertex([P(0, 0), P(10, 10)], view, P(9, 11), 3), 1);
  assert.equal(hitVertex([P(0, 0), P(10, 10)], view, P(5, 5), 3), -1);
  assert.ok(hitShape(VECTOR_TYPE.LINE, [P(0, 0), P(10, 0)], view, P(5, 2), 3));
  assert.ok(!hitShape(VECTOR_TYPE.LINE, [P(0, 0), P(10, 0)], view, P(5, 4), 3));
  const triangle = [P(0, 0), P(10, 0), P(0, 10)];
  assert.ok(hitShape(VECTOR_TYPE.POLYGON, triangle, view, P(2, 2), 3));
  assert.ok(!hitShape(VECTOR_TYPE.MULTI_LINE, triangle, view, P(2, 2), 1));
  assert.ok(hitShape(VECTOR_TYPE.POINT, [P(5, 5)], view, P(7, 6), 3));
});

test("pickShape prefers the box lying inside another", () => {
  const view = { scale: 1, x: 0, y: 0 };
  const shapes = [
    { vectorType: VECTOR_TYPE.BOX, points: [P(0, 0), P(100, 100)] },
    { vectorType: VECTOR_TYPE.BOX, points: [P(10, 10), P(30, 30)] },
    { vectorType: VECTOR_TYPE.BOX, points: [P(200, 200), P(300, 300)] },
  ];
  assert.equal(pickShape(shapes, view, P(20, 20), 2), 1);
  assert.equal(pickShape(shapes, view, P(50, 50), 2), 0);
  assert.equal(pickShape(shapes, view, P(150, 150), 2), -1);
});

test("pinchView zooms by the fingers' distance and keeps the image point under their midpoint", async () => {
  const { pinchView, screenToImage } = await import("../static/annotations/js/geometry.js");
  const view = { scale: 2, x: 10, y: 20 };
  const start = [{ x: 100, y: 100 }, { x: 200, y: 100 }];
  const midpoint = screenToImage(view, { x: 150, y: 100 });
  // the fingers spread to twice the distance around the same midpoint: twice the scale, same point under it
  const spread = pinchView(view, start, [{ x: 50, y: 100 }, { x: 250, y: 100 }]);
  assert.equal(spread.scale, 4);
  assert.deepEqual(screenToImage(spread, { x: 150, y: 100 }), midpoint);
  // both fingers move by (30, -40) at the same distance: a pan only
  const moved = pinchView(view, start, [{ x: 130, y: 60 }, { x: 230, y: 60 }]);
  assert.equal(moved.scale, 2);
  assert.deepEqual(screenToImage(moved, { x: 180, y: 60 }), midpoint);
  // fingers on one spot (distance 0) never divide by zero
  assert.equal(pinchView(view, [start[0], start[0]], start).scale, 2);
});

test("pinchView works on a rotated view", async () => {
  const { pinchView, screenToImage } = await import("../static/annotations/js/geometry.js");
  const view = { scale: 1, x: 300, y: 0, rotation: 90 };
  const start = [{ x: 100, y: 100 }, { x: 100, y: 200 }];
  const midpoint = screenToImage(view, { x: 100, y: 150 });
  const after = pinchView(view, start, [{ x: 100, y: 50 }, { x: 100, y: 250 }]);
  assert.equal(after.rotation, 90);
  assert.equal(after.scale, 2);
  const back = screenToImage(after, { x: 100, y: 150 });
  assert.ok(Math.abs(back.x - midpoint.x) < 1e-9 && Math.abs(back.y - midpoint.y) < 1e-9);
});
