// draw.js against a recording stand-in for CanvasRenderingContext2D.
import assert from "node:assert/strict";
import test from "node:test";

import {
  COLORS,
  CONCEALED_DASH,
  DIMMED_ALPHA,
  MACHINE_CONCEALED_DASH,
  STROKE_BATCH,
  ShapeLayer,
  drawScene,
  drawShapes,
  isMachineLooking,
  shapeStyle,
} from "../static/annotations/js/draw.js";
import { VECTOR_TYPE } from "../static/annotations/js/geometry.js";

function fakeContext() {
  const calls = [];
  const state = { strokeStyle: null, lineWidth: 1, dash: [] };
  const ctx = new Proxy(
    {},
    {
      get(target, name) {
        if (name === "calls") return calls;
        if (name === "measureText") return (text) => ({ width: text.length * 6 });
        if (name === "setLineDash") return (dash) => calls.push(["setLineDash", dash]);
        if (name === "stroke") return () => calls.push(["stroke", state.strokeStyle, state.lineWidth]);
        if (name in state) return state[name];
        return (...args) => calls.push([name, ...args]);
      },
      set(target, name, value) {
        state[name] = value;
        return true;
      },
    },
  );
  return ctx;
}

const P = (x, y) => ({ x, y });

test("styles: the type's colour, flags marked apart from colour, highlight and machine-made dashes", () => {
  assert.equal(shapeStyle({}).stroke, COLORS.shape, "no colour: the old red");
  assert.equal(shapeStyle({ color: "#3CB44B" }).stroke, "#3cb44b");
  assert.equal(shapeStyle({ color: "#3cb44b", concealed: true }).stroke, "#3cb44b", "flags keep the colour");
  assert.deepEqual(shapeStyle({ color: "#3cb44b", concealed: true }).dash, CONCEALED_DASH, "concealed: dotted");
  assert.deepEqual(shapeStyle({ machine: true, concealed: true }).dash, MACHINE_CONCEALED_DASH);
  assert.equal(shapeStyle({ color: "#3cb44b" }).halo, null);
  assert.equal(shapeStyle({ color: "#3cb44b", blurred: true }).halo, "rgba(60, 180, 75, 0.35)", "blurred: a halo");
  assert.equal(shapeStyle({ highlighted: true, blurred: true, color: "#3cb44b" }).stroke, COLORS.highlighted);
  assert.equal(shapeStyle({ current: true, color: "#3cb44b" }).stroke, "#3cb44b");
  assert.equal(shapeStyle({ current: true }).width, 3);
  assert.ok(shapeStyle({ faint: true }).width < shapeStyle({}).width, "other types are thinner");
  assert.equal(shapeStyle({ dimmed: true }).alpha, DIMMED_ALPHA);
  assert.equal(shapeStyle({}).alpha, 1);
  assert.deepEqual(shapeStyle({ machine: true }).dash, [6, 4]);
  assert.deepEqual(shapeStyle({}).dash, []);
  assert.equal(shapeStyle({ vectorType: VECTOR_TYPE.BOX, color: "#0000ff" }).fill, "rgba(0, 0, 255, 0.16)");
  assert.equal(shapeStyle({ vectorType: VECTOR_TYPE.POLYGON, color: "#0000ff", faint: true }).fill, "rgba(0, 0, 255, 0.07)");
  assert.equal(shapeStyle({ vectorType: VECTOR_TYPE.LINE, color: "#0000ff" }).fill, null, "lines are not filled");
});

test("each type's shapes are stroked and filled in its colour", () => {
  const ctx = fakeContext();
  const view = { scale: 1, x: 0, y: 0 };
  drawShapes(ctx, view, [
    { vectorType: VECTOR_TYPE.BOX, points: [P(0, 0), P(10, 10)], color: "#ff0000" },
    { vectorType: VECTOR_TYPE.LINE, points: [P(20, 20), P(30, 30)], color: "#00ff00" },
  ]);
  const strokes = ctx.calls.filter(([name]) => name === "stroke").map(([, color]) => color);
  assert.deepEqual(strokes.sort(), ["#00ff00", "#ff0000"]);
  assert.equal(ctx.calls.filter(([name]) => name === "fill").length, 1, "only the box is filled");
});

test("machine-made look lasts until a human edited or accepted", () => {
  assert.ok(isMachineLooking({ origin: "machine", last_editor: null, accepts: 0 }));
  assert.ok(!isMachineLooking({ origin: "machine", last_editor: "bob", accepts: 0 }));
  assert.ok(!isMachineLooking({ origin: "machine", last_editor: null, accepts: 1 }));
  assert.ok(!isMachineLooking({ origin: "human", last_editor: null, accepts: 0 }));
});

test("shapes of one style are stroked in batches, off-screen ones skipped", () => {
  const ctx = fakeContext();
  const view = { scale: 1, x: 0, y: 0 };
  const shapes = [];
  for (let index = 0; index < 1000; index += 1) {
    shapes.push({ vectorType: VECTOR_TYPE.POLYGON, points: [P(index, 0), P(index + 5, 0), P(index, 5)] });
  }
  shapes.push({ vectorType: VECTOR_TYPE.BOX, points: [P(5000, 5000), P(5010, 5010)] });
  shapes.push({ vectorType: VECTOR_TYPE.POINT, points: [P(3, 3)], highlighted: true });
  drawShapes(ctx, view, shapes, { width: 2000, height: 1000 });
  const strokes = ctx.calls.filter(([name]) => name === "stroke");
  assert.equal(strokes.length, Math.ceil(1000 / STROKE_BATCH) + 2, "batches, and shadow + colour for the highlighted one");
  assert.equal(ctx.calls.filter(([name]) => name === "rect").length, 0, "the box off screen is not drawn");
  assert.equal(ctx.calls.filter(([name]) => name === "closePath").length, 1000);
});

test("a whole scene draws without errors", () => {
  const ctx = fakeContext();
  drawScene(ctx, {
    view: { scale: 2, x: 0, y: 0 },
    width: 300,
    height: 200,
    image: { fake: true },
    imageWidth: 100,
    imageHeight: 80,
    shapes: [{ vectorType: VECTOR_TYPE.BOX, points: [P(1, 1), P(10, 10)], machine: true }],
    selection: { vectorType: VECTOR_TYPE.LINE, points: [P(1, 1)], cursor: P(5, 5), closed: false, handles: "vertices" },
    cursor: P(5, 5),
  });
  assert.ok(ctx.calls.some(([name]) => name === "drawImage"));
  assert.ok(ctx.calls.some(([name, text]) => name === "fillText" && text === "5, 5"));
});

test("the shape layer renders once and is copied while panning and zooming", () => {
  const layer = new ShapeLayer(() => ({ width: 0, height: 0, getContext: () => fakeContext() }));
  const shapes = [{ vectorType: VECTOR_TYPE.BOX, points: [P(1, 1), P(10, 10)] }];
  const size = { width: 400, height: 200, version: 1 };
  const view = { scale: 1, x: 0, y: 0 };
  const ctx = fakeContext();
  layer.draw(ctx, view, shapes, size);
  assert.equal(layer.renders, 1);
  assert.equal(layer.canvas.width, 400 + 2 * 100);
  layer.draw(ctx, { ...view, x: 60, y: -40 }, shapes, size);
  assert.equal(layer.renders, 1, "a pan within the margin copies");
  const copy = ctx.calls.filter(([name]) => name === "drawImage").pop();
  assert.deepEqual(copy.slice(6), [-100 + 60, -100 - 40, 600, 400]);
  layer.draw(ctx, { scale: 2, x: 0, y: 0 }, shapes, { ...size, quick: true });
  assert.equal(layer.renders, 1, "quick: scaled copy");
  assert.deepEqual(ctx.calls.filter(([name]) => name === "drawImage").pop().slice(6), [-200, -200, 1200, 800]);
  layer.draw(ctx, { scale: 2, x: 0, y: 0 }, shapes, size);
  assert.equal(layer.renders, 2, "after the gesture: rendered anew");
  layer.draw(ctx, { scale: 2, x: 0, y: 0 }, shapes, { ...size, version: 2 });
  assert.equal(layer.renders, 3, "new shapes: rendered anew");
  layer.draw(ctx, { scale: 2, x: 500, y: 0 }, shapes, { ...size, version: 2 });
  assert.equal(layer.renders, 4, "panned beyond the margin");
});
