// The pure parts of the annotate page's view tools: rotated views (geometry.js), snapping
// (snapping.js, and the shape editor using it), z-order, the minimap, Tab through labels, moving
// several labels and duplicating one (viewmath.js), fill opacity, z and rotation in draw.js.
import assert from "node:assert/strict";
import test from "node:test";

import { ShapeLayer, drawScene, drawShapes, shapeStyle } from "../static/annotations/js/draw.js";
import {
  VECTOR_TYPE,
  fitView,
  hitShape,
  imageToScreen,
  normalizeRotation,
  panBy,
  pickShape,
  rotatePoint,
  rotateView,
  screenToImage,
  toImagePixel,
  visibleImageRect,
  zoomAt,
} from "../static/annotations/js/geometry.js";
import { SNAP_RADIUS, shapeVertices, snapPoint } from "../static/annotations/js/snapping.js";
import { ShapeEditor } from "../static/annotations/js/tools.js";
import {
  bringToFront,
  centreOn,
  duplicatePlace,
  imageFilterCss,
  minimapLayout,
  minimapRect,
  moveTogether,
  needsMinimap,
  nextLabel,
  sendToBack,
  similarPoints,
} from "../static/annotations/js/viewmath.js";

const P = (x, y) => ({ x, y });
const close = (a, b, message) => {
  assert.ok(Math.abs(a.x - b.x) < 1e-9 && Math.abs(a.y - b.y) < 1e-9, `${message}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
};

// --- rotation --------------------------------------------------------------------------------------------

test("rotatePoint turns clockwise on the screen (y down) and normalizeRotation keeps 0/90/180/270", () => {
  assert.deepEqual(rotatePoint(P(10, 0), 90), P(-0, 10));
  assert.deepEqual(rotatePoint(P(10, 5), 180), P(-10, -5));
  assert.deepEqual(rotatePoint(P(10, 5), 270), P(5, -10));
  assert.deepEqual(rotatePoint(P(10, 5), 0), P(10, 5));
  assert.equal(normalizeRotation(-90), 270);
  assert.equal(normalizeRotation(450), 90);
  assert.equal(normalizeRotation(undefined), 0);
});

test("a rotated fitted view shows the whole image centred; image ↔ screen round trips at every rotation", () => {
  for (const rotation of [0, 90, 180, 270]) {
    const view = fitView(400, 300, 800, 600, 0, rotation);
    const sideways = rotation % 180 === 90;
    assert.equal(view.scale, sideways ? 1.5 : 2, `scale at ${rotation}°`);
    close(imageToScreen(view, P(200, 150)), P(400, 300), `centre at ${rotation}°`);
    for (const p of [P(0, 0), P(400, 300), P(17, 250)]) close(screenToImage(view, imageToScreen(view, p)), p, `round trip ${rotation}°`);
    const corners = [P(0, 0), P(400, 0), P(0, 300), P(400, 300)].map((p) => imageToScreen(view, p));
    for (const c of corners) assert.ok(c.x >= -1e-9 && c.x <= 800 + 1e-9 && c.y >= -1e-9 && c.y <= 600 + 1e-9, `inside at ${rotation}°`);
  }
  const turned = fitView(400, 300, 800, 600, 0, 90);
  const topLeft = imageToScreen(turned, P(0, 0));
  const bottomLeft = imageToScreen(turned, P(0, 300));
  assert.ok(topLeft.x > bottomLeft.x, "90°: the image's top-left corner is on the right");
  assert.equal(topLeft.y, bottomLeft.y, "the left edge is at the top");
  assert.deepEqual(fitView(100, 50, 200, 200), { scale: 2, x: 0, y: 50 }, "unrotated views keep their shape");
});

test("pixels under the pointer, zoom and pan keep working on a rotated view", () => {
  const view = fitView(400, 300, 800, 600, 0, 90);
  const screen = imageToScreen(view, P(50, 60));
  assert.deepEqual(toImagePixel(view, { x: screen.x + 0.4, y: screen.y - 0.4 }, 400, 300), P(50, 60));
  const zoomed = zoomAt(view, 2, screen);
  assert.equal(zoomed.rotation, 90);
  close(imageToScreen(zoomed, P(50, 60)), screen, "the zoom anchor stays");
  const panned = panBy(zoomed, 10, -5);
  assert.equal(panned.rotation, 90);
  close(imageToScreen(panned, P(50, 60)), { x: screen.x + 10, y: screen.y - 5 }, "pan moves the screen");
  const back = rotateView(view, -90, P(400, 300));
  assert.equal(back.rotation, undefined, "0° again: the plain view");
  close(imageToScreen(back, P(200, 150)), P(400, 300), "turned about the canvas centre");
});

test("hit tests work on rotated boxes and the visible image rectangle follows the rotation", () => {
  const view = fitView(400, 300, 800, 600, 0, 90);
  const box = [P(100, 50), P(200, 100)];
  assert.ok(hitShape(VECTOR_TYPE.BOX, box, view, imageToScreen(view, P(150, 75)), 0));
  assert.ok(!hitShape(VECTOR_TYPE.BOX, box, view, imageToScreen(view, P(250, 75)), 0));
  const rect = visibleImageRect(view, 800, 600);
  assert.ok(rect.minX <= 0 && rect.maxX >= 400 && rect.minY <= 0 && rect.maxY >= 300, JSON.stringify(rect));
});

// --- draw.js ---------------------------------------------------------------------------------------------

function recordingContext() {
  const calls = [];
  const state = {};
  return new Proxy(
    {},
    {
      get(target, name) {
        if (name === "calls") return calls;
        if (name === "measureText") return (text) => ({ width: text.length * 6 });
        if (name === "fill") return () => calls.push(["fill", state.fillStyle]);
        if (name in state) return state[name];
        return (...args) => calls.push([name, ...args]);
      },
      set(target, name, value) {
        state[name] = value;
        if (name === "filter") calls.push(["filter", value]);
        return true;
      },
    },
  );
}

test("fill opacity: 0 draws outlines only, other values the type's colour at that opacity (faint ones lighter)", () => {
  const box = { vectorType: VECTOR_TYPE.BOX, color: "#0000ff" };
  assert.equal(shapeStyle(box, 0).fill, null);
  assert.equal(shapeStyle(box, 1).fill, "rgba(0, 0, 255, 1)");
  assert.equal(shapeStyle({ ...box, faint: true }, 0.32).fill, "rgba(0, 0, 255, 0.14)");
  assert.equal(shapeStyle({ vectorType: VECTOR_TYPE.LINE, color: "#0000ff" }, 1).fill, null, "lines have no fill");
  const ctx = recordingContext();
  drawShapes(ctx, { scale: 1, x: 0, y: 0 }, [{ ...box, points: [P(1, 1), P(5, 5)] }], { width: 10, height: 10, fillAlpha: 0 });
  assert.equal(ctx.calls.filter((call) => call[0] === "fill").length, 0, "outline only: no fill");
});

test("z-order: shapes brought to the front are drawn after the batched ones, sent back ones before", () => {
  const ctx = recordingContext();
  const shape = (name, z) => ({ vectorType: VECTOR_TYPE.BOX, color: "#0000ff", points: [P(1, 1), P(5 + z * 0 + name.length, 5)], z, id: name });
  const shapes = [shape("front", 2), shape("a", 0), shape("back", -1)];
  drawShapes(ctx, { scale: 1, x: 0, y: 0 }, shapes, { width: 100, height: 100 });
  const rects = ctx.calls.filter((call) => call[0] === "rect").map((call) => call[3]);
  assert.deepEqual(rects, [4 + 4, 4 + 1, 4 + 5], "back, then the batch, then front");
});

test("drawScene turns the image with the view and filters the image only", () => {
  const ctx = recordingContext();
  drawScene(ctx, {
    view: { scale: 1, x: 300, y: 0, rotation: 90 },
    width: 300,
    height: 400,
    image: {},
    imageWidth: 400,
    imageHeight: 300,
    shapes: [],
    imageFilter: "brightness(1.5)",
  });
  const names = ctx.calls.map((call) => call[0]);
  assert.ok(names.includes("rotate"));
  assert.ok(ctx.calls.find((call) => call[0] === "rotate")[1] > 1.5, "90° in radians");
  assert.deepEqual(ctx.calls.find((call) => call[0] === "filter"), ["filter", "brightness(1.5)"]);
  assert.ok(names.indexOf("filter") < names.indexOf("drawImage") && names.indexOf("drawImage") < names.lastIndexOf("restore"));
});

test("the shape layer renders again when the rotation or the fill changes, not for a filter", () => {
  const created = [];
  const layer = new ShapeLayer(() => {
    const canvas = { width: 0, height: 0, getContext: () => recordingContext() };
    created.push(canvas);
    return canvas;
  });
  const ctx = recordingContext();
  const view = { scale: 1, x: 0, y: 0 };
  layer.draw(ctx, view, [], { width: 100, height: 100, version: 1 });
  layer.draw(ctx, view, [], { width: 100, height: 100, version: 1 });
  assert.equal(layer.renders, 1);
  layer.draw(ctx, { ...view, rotation: 90 }, [], { width: 100, height: 100, version: 1 });
  assert.equal(layer.renders, 2, "rotated");
  layer.draw(ctx, { ...view, rotation: 90 }, [], { width: 100, height: 100, version: 1, fillAlpha: 0.5 });
  assert.equal(layer.renders, 3, "another fill");
});

// --- snapping ----------------------------------------------------------------------------------------------

test("snapPoint pulls onto the nearest vertex within the screen radius, then onto image edges", () => {
  const view = { scale: 2, x: 0, y: 0 };
  const targets = [{ x: 100, y: 100, key: "a" }, { x: 103, y: 100, key: "b" }];
  assert.deepEqual(snapPoint(P(101, 101), view, targets, 400, 300), { point: P(100, 100), target: { kind: "vertex", x: 100, y: 100 } });
  assert.deepEqual(snapPoint(P(102, 100), view, targets, 400, 300).point, P(103, 100), "the nearest one");
  assert.deepEqual(snapPoint(P(101, 101), view, targets, 400, 300, SNAP_RADIUS, "a").point, P(103, 100), "not the edited label");
  assert.deepEqual(snapPoint(P(110, 110), view, targets, 400, 300), { point: P(110, 110), target: null }, "too far (20 screen px)");
  assert.deepEqual(snapPoint(P(398, 150), view, [], 400, 300), { point: P(400, 150), target: { kind: "edge", x: 400, y: 150 } });
  assert.deepEqual(snapPoint(P(2, 297), view, [], 400, 300).point, P(0, 300), "a corner snaps both");
  const far = { scale: 0.5, x: 0, y: 0 };
  assert.deepEqual(snapPoint(P(112, 100), far, targets, 400, 300).point, P(103, 100), "radius in screen pixels: more image pixels when zoomed out");
  const turned = fitView(400, 300, 800, 600, 0, 90);
  assert.deepEqual(snapPoint(P(101, 99), turned, targets, 400, 300).point, P(100, 100), "rotated views too");
});

test("a box offers its four corners as vertices, other shapes their points", () => {
  assert.deepEqual(shapeVertices(VECTOR_TYPE.BOX, [P(1, 2), P(3, 4)]), [P(1, 2), P(3, 2), P(3, 4), P(1, 4)]);
  assert.deepEqual(shapeVertices(VECTOR_TYPE.POLYGON, [P(1, 2), P(3, 4), P(5, 0)]), [P(1, 2), P(3, 4), P(5, 0)]);
  assert.deepEqual(shapeVertices(VECTOR_TYPE.POINT, null), []);
});

test("the shape editor snaps box corners and dragged vertices, not whole moves, and never with snap: false", () => {
  const view = { scale: 2, x: 0, y: 0 };
  const ev = (x, y, extra = {}) => ({ image: P(x, y), screen: P(x * 2, y * 2), view, ...extra });
  const editor = new ShapeEditor({ vectorType: VECTOR_TYPE.BOX, imageWidth: 400, imageHeight: 300 });
  editor.snapSource = () => [{ x: 200, y: 200, key: "other" }];
  editor.pointerDown(ev(20, 30));
  editor.pointerMove(ev(198, 197));
  assert.deepEqual(editor.snapTarget, { kind: "vertex", x: 200, y: 200 });
  editor.pointerUp(ev(198, 197));
  assert.deepEqual(editor.finishedPoints(), [P(20, 30), P(200, 200)]);
  assert.equal(editor.snapTarget, null, "the mark goes with the gesture");

  const free = new ShapeEditor({ vectorType: VECTOR_TYPE.BOX, imageWidth: 400, imageHeight: 300 });
  free.snapSource = () => [{ x: 200, y: 200, key: "other" }];
  free.pointerDown(ev(20, 30, { snap: false }));
  free.pointerMove(ev(198, 197, { snap: false }));
  free.pointerUp(ev(198, 197, { snap: false }));
  assert.deepEqual(free.finishedPoints(), [P(20, 30), P(198, 197)], "Alt held");

  const poly = new ShapeEditor({ vectorType: VECTOR_TYPE.POLYGON, imageWidth: 400, imageHeight: 300 });
  poly.snapSource = () => [{ x: 50, y: 50, key: "other" }];
  poly.edit("mine", [P(10, 10), P(100, 10), P(100, 100)]);
  poly.pointerDown(ev(100, 100));
  poly.pointerMove(ev(52, 49));
  poly.pointerUp(ev(52, 49));
  assert.deepEqual(poly.finishedPoints()[2], P(50, 50), "a dragged vertex lands on the other label's vertex");
  poly.pointerDown(ev(60, 30)); // inside: a move of the whole shape
  poly.pointerMove(ev(51, 49)); // the pointer right beside the snap target
  poly.pointerUp(ev(51, 49));
  assert.deepEqual(poly.finishedPoints(), [P(1, 29), P(91, 29), P(41, 69)], "moves are not snapped (-9, +19)");
});

// --- z-order, Tab, several labels, duplicates ---------------------------------------------------------------

test("bring to front / send to back give a z above / below every other; pickShape prefers the higher z", () => {
  const order = new Map();
  assert.equal(bringToFront(order, "a"), 1);
  assert.equal(bringToFront(order, "b"), 2);
  assert.equal(bringToFront(order, "b"), 2, "already on top stays");
  assert.equal(sendToBack(order, "c"), -1);
  assert.equal(sendToBack(order, "b"), -2);
  const view = { scale: 1, x: 0, y: 0 };
  const big = { vectorType: VECTOR_TYPE.BOX, points: [P(0, 0), P(100, 100)] };
  const small = { vectorType: VECTOR_TYPE.BOX, points: [P(25, 25), P(75, 75)] };
  assert.equal(pickShape([big, small], view, P(50, 50), 0), 1, "by default the smaller");
  assert.equal(pickShape([{ ...big, z: 1 }, small], view, P(50, 50), 0), 0, "in front");
  assert.equal(pickShape([big, { ...small, z: -1 }], view, P(50, 50), 0), 0, "sent back");
});

test("nextLabel walks the list and gives null past either end (Tab then leaves the canvas)", () => {
  const keys = ["a", "b", "c"];
  assert.equal(nextLabel(keys, null), "a");
  assert.equal(nextLabel(keys, null, true), "c");
  assert.equal(nextLabel(keys, "a"), "b");
  assert.equal(nextLabel(keys, "b", true), "a");
  assert.equal(nextLabel(keys, "c"), null);
  assert.equal(nextLabel(keys, "a", true), null);
  assert.equal(nextLabel(keys, "gone"), "a", "a locked or deleted current one: from the start");
  assert.equal(nextLabel([], null), null);
});

test("moveTogether moves every shape by the same amount, as far as all stay inside", () => {
  const shapes = [[P(10, 10), P(20, 20)], [P(300, 200), P(390, 250)]];
  assert.deepEqual(moveTogether(shapes, 5, 5, 400, 300), [[P(15, 15), P(25, 25)], [P(305, 205), P(395, 255)]]);
  assert.deepEqual(moveTogether(shapes, 50, -50, 400, 300), [[P(20, 0), P(30, 10)], [P(310, 190), P(400, 240)]], "limited by both");
});

test("duplicatePlace puts a copy 10 px away, further when a label lies there, never similar", () => {
  const box = [P(40, 40), P(160, 140)];
  assert.deepEqual(duplicatePlace(box, [box], 400, 300), [P(50, 50), P(170, 150)]);
  const copy = [P(50, 50), P(170, 150)];
  assert.deepEqual(duplicatePlace(box, [box, copy], 400, 300), [P(60, 60), P(180, 160)]);
  assert.deepEqual(duplicatePlace([P(300, 250), P(400, 300)], [], 400, 300), [P(290, 240), P(390, 290)], "up-left at the edge");
  assert.equal(duplicatePlace([P(0, 0), P(400, 300)], [], 400, 300), null, "no room");
  assert.ok(similarPoints(box, [P(45, 35), P(165, 145)]));
  assert.ok(!similarPoints(box, [P(46, 40), P(160, 140)]));
});

// --- minimap and filters ----------------------------------------------------------------------------------

test("the minimap fits the (turned) image, frames the visible part and a click centres that point", () => {
  const layout = minimapLayout(400, 300, 0, 180, 140);
  assert.deepEqual([layout.width, layout.height], [180, 135]);
  const turned = minimapLayout(400, 300, 90, 180, 140);
  assert.deepEqual([turned.width, turned.height], [105, 140]);
  const view = { scale: 4, x: -400, y: -300 }; // canvas 800 × 600 shows image (100, 75)–(300, 225)
  assert.ok(needsMinimap(view, 400, 300, 800, 600));
  assert.ok(!needsMinimap(fitView(400, 300, 800, 600, 8), 400, 300, 800, 600));
  const rect = minimapRect(view, 800, 600, layout.view);
  close({ x: rect.x, y: rect.y }, P(45, 33.75), "frame origin");
  close({ x: rect.width, y: rect.height }, P(90, 67.5), "frame size");
  const centred = centreOn(view, layout.view, P(18, 13.5), 800, 600);
  close(screenToImage(centred, P(400, 300)), P(40, 30), "the clicked image point at the canvas centre");
  assert.equal(centred.scale, 4);
});

test("imageFilterCss: none at 100 % each, else the three filters", () => {
  assert.equal(imageFilterCss({}), "none");
  assert.equal(imageFilterCss({ brightness: 150, contrast: 100, saturation: 0 }), "brightness(1.5) contrast(1) saturate(0)");
});
