// The drawing state machine of tools.js, driven with synthetic pointer events.
import assert from "node:assert/strict";
import test from "node:test";

import { VECTOR_TYPE } from "../static/annotations/js/geometry.js";
import { ShapeEditor } from "../static/annotations/js/tools.js";

const P = (x, y) => ({ x, y });
const VIEW = { scale: 2, x: 0, y: 0 }; // screen = 2 × image

function ev(x, y) {
  return { image: P(x, y), screen: P(x * VIEW.scale, y * VIEW.scale), view: VIEW };
}

function click(editor, x, y) {
  editor.pointerDown(ev(x, y));
  return editor.pointerUp(ev(x, y));
}

function dragPath(editor, from, to) {
  editor.pointerDown(ev(...from));
  editor.pointerMove(ev((from[0] + to[0]) / 2, (from[1] + to[1]) / 2));
  editor.pointerMove(ev(...to));
  return editor.pointerUp(ev(...to));
}

const make = (vectorType, nodeCount = 0) => new ShapeEditor({ vectorType, nodeCount, imageWidth: 100, imageHeight: 80 });

test("box: drag draws a normalised box; a click alone draws nothing", () => {
  const editor = make(VECTOR_TYPE.BOX);
  assert.deepEqual(click(editor, 5, 5), { redraw: true });
  assert.equal(editor.selection, null);
  const result = dragPath(editor, [40, 30], [10, 20]);
  assert.ok(result.finished);
  assert.deepEqual(editor.finishedPoints(), [P(10, 20), P(40, 30)]);
  assert.equal(editor.problem(), null);
});

test("box: zero-width drags are dropped and the previous selection comes back", () => {
  const editor = make(VECTOR_TYPE.BOX);
  dragPath(editor, [10, 10], [20, 20]);
  const result = dragPath(editor, [50, 10], [50, 40]);
  assert.ok(result.cancelled);
  assert.deepEqual(editor.finishedPoints(), [P(10, 10), P(20, 20)]);
});

test("box: handles resize, the inside moves, keys nudge and resize", () => {
  const editor = make(VECTOR_TYPE.BOX);
  dragPath(editor, [10, 10], [20, 20]);
  dragPath(editor, [20, 20], [30, 25]); // the se handle
  assert.deepEqual(editor.finishedPoints(), [P(10, 10), P(30, 25)]);
  dragPath(editor, [15, 15], [20, 17]); // inside: move by (5, 2)
  assert.deepEqual(editor.finishedPoints(), [P(15, 12), P(35, 27)]);
  editor.key("l");
  editor.key("k");
  assert.deepEqual(editor.finishedPoints(), [P(16, 13), P(36, 28)]);
  editor.key("i", { shift: true });
  editor.key("j", { shift: true });
  assert.deepEqual(editor.finishedPoints(), [P(16, 12), P(35, 28)]);
  dragPath(editor, [20, 20], [200, 200]); // moved against the image border
  assert.deepEqual(editor.finishedPoints(), [P(81, 64), P(100, 80)]);
});

test("box: a click on an existing box asks to select it; a drag over it draws a new one", () => {
  const editor = make(VECTOR_TYPE.BOX);
  editor.setShapes([{ key: "a", points: [P(0, 0), P(90, 70)] }, { key: "b", points: [P(10, 10), P(20, 20)] }]);
  assert.equal(click(editor, 15, 15).select, "b");
  assert.equal(click(editor, 50, 50).select, "a");
  editor.edit("a", [P(0, 0), P(90, 70)]);
  assert.equal(editor.editingKey, "a");
  dragPath(editor, [30, 30], [60, 50]);
  assert.deepEqual(editor.finishedPoints(), [P(10, 10), P(100, 80)], "inside the selection the drag moves it");
  editor.clear();
  assert.ok(dragPath(editor, [30, 30], [60, 50]).finished, "without a selection a drag over a box draws");
  assert.deepEqual(editor.finishedPoints(), [P(30, 30), P(60, 50)]);
});

test("point: a click places it, a drag of the point moves it", () => {
  const editor = make(VECTOR_TYPE.POINT);
  assert.ok(click(editor, 7, 9).finished);
  assert.deepEqual(editor.finishedPoints(), [P(7, 9)]);
  dragPath(editor, [7, 9], [12, 3]);
  assert.deepEqual(editor.finishedPoints(), [P(12, 3)]);
  click(editor, 50, 50);
  assert.deepEqual(editor.finishedPoints(), [P(50, 50)]);
});

test("line: click, click or press-drag-release", () => {
  const editor = make(VECTOR_TYPE.LINE);
  click(editor, 1, 1);
  assert.ok(editor.drawing);
  editor.pointerMove(ev(30, 30));
  assert.deepEqual(editor.selectionForDraw().cursor, P(30, 30));
  assert.ok(click(editor, 40, 20).finished);
  assert.deepEqual(editor.finishedPoints(), [P(1, 1), P(40, 20)]);
  const other = make(VECTOR_TYPE.LINE);
  assert.ok(dragPath(other, [5, 5], [25, 15]).finished);
  assert.deepEqual(other.finishedPoints(), [P(5, 5), P(25, 15)]);
});

test("multi-line: Enter, Esc or double click finishes; duplicates are ignored", () => {
  for (const finish of ["Enter", "Escape", "dblclick"]) {
    const editor = make(VECTOR_TYPE.MULTI_LINE);
    click(editor, 1, 1);
    click(editor, 10, 1);
    click(editor, 10, 10);
    click(editor, 10, 10); // the second click of a double click
    const result = finish === "dblclick" ? editor.doubleClick() : editor.key(finish);
    assert.ok(result.finished, finish);
    assert.deepEqual(editor.finishedPoints(), [P(1, 1), P(10, 1), P(10, 10)]);
  }
  const single = make(VECTOR_TYPE.MULTI_LINE);
  click(single, 1, 1);
  assert.ok(single.key("Escape").cancelled, "Esc with one vertex cancels");
  assert.equal(single.selection, null);
  const fixed = make(VECTOR_TYPE.MULTI_LINE, 3);
  click(fixed, 1, 1);
  click(fixed, 2, 2);
  assert.ok(click(fixed, 3, 1).finished);
});

test("polygon: fixed node count closes itself; arbitrary closes on the first vertex", () => {
  const fixed = make(VECTOR_TYPE.POLYGON, 4);
  for (const [x, y] of [[1, 1], [20, 1], [20, 20]]) click(fixed, x, y);
  assert.ok(fixed.drawing);
  assert.ok(click(fixed, 1, 20).finished);
  assert.deepEqual(fixed.finishedPoints(), [P(1, 1), P(20, 1), P(20, 20), P(1, 20)]);
  assert.equal(fixed.problem(), null);

  const free = make(VECTOR_TYPE.POLYGON);
  for (const [x, y] of [[10, 10], [30, 10], [30, 30], [10, 30]]) click(free, x, y);
  assert.ok(click(free, 11, 11).finished, "within 7 screen px of the first vertex");
  assert.deepEqual(free.finishedPoints(), [P(10, 10), P(30, 10), P(30, 30), P(10, 30)]);

  const two = make(VECTOR_TYPE.POLYGON);
  click(two, 10, 10);
  click(two, 30, 10);
  assert.ok(!click(two, 10, 10).finished, "two vertices do not make a polygon");
  assert.equal(two.key("Backspace").handled, true);
});

test("finished shapes: drag a vertex, move the whole shape", () => {
  const editor = make(VECTOR_TYPE.POLYGON, 3);
  for (const [x, y] of [[10, 10], [30, 10], [10, 30]]) click(editor, x, y);
  dragPath(editor, [30, 10], [40, 5]);
  assert.deepEqual(editor.finishedPoints(), [P(10, 10), P(40, 5), P(10, 30)]);
  dragPath(editor, [15, 15], [17, 17]);
  assert.deepEqual(editor.finishedPoints(), [P(12, 12), P(42, 7), P(12, 32)]);
  editor.key("j");
  assert.deepEqual(editor.finishedPoints(), [P(11, 12), P(41, 7), P(11, 32)]);
  editor.key("j", { shift: true });
  assert.deepEqual(editor.finishedPoints(), [P(11, 12), P(41, 7), P(11, 32)], "Shift resizes boxes only");
});

test("Esc during a drag puts the shape back; Esc drops the selection", () => {
  const editor = make(VECTOR_TYPE.POINT);
  click(editor, 5, 5);
  editor.pointerDown(ev(5, 5));
  editor.pointerMove(ev(20, 20));
  editor.key("Escape");
  assert.deepEqual(editor.finishedPoints(), [P(5, 5)]);
  assert.ok(editor.key("Escape").cancelled);
  assert.equal(editor.selection, null);
});

test("takeChange reports each finished gesture once, for undo", () => {
  const editor = make(VECTOR_TYPE.BOX);
  assert.equal(editor.takeChange(), null);
  editor.pointerDown(ev(1, 1));
  editor.pointerMove(ev(10, 10));
  assert.equal(editor.takeChange(), null, "not during a drag");
  editor.pointerUp(ev(10, 10));
  const change = editor.takeChange();
  assert.equal(change.before, null);
  assert.deepEqual(change.after.points, [P(1, 1), P(10, 10)]);
  assert.equal(editor.takeChange(), null);
  editor.restore(change.before);
  assert.equal(editor.selection, null);
  assert.equal(editor.takeChange(), null, "restoring is not a new change");
});

test("a finger grabs vertices and handles from further away than the mouse", async () => {
  const { TOUCH_VERTEX_RADIUS, VERTEX_RADIUS, grabRadius } = await import("../static/annotations/js/tools.js");
  assert.equal(grabRadius({ touch: true }), TOUCH_VERTEX_RADIUS);
  assert.equal(grabRadius({ touch: false }), VERTEX_RADIUS);
  assert.equal(grabRadius(undefined), VERTEX_RADIUS);
  assert.ok(TOUCH_VERTEX_RADIUS >= 3 * VERTEX_RADIUS);
});

test("a finger 20 screen px off a box corner still grabs its handle; the mouse does not", () => {
  const touch = (x, y) => ({ ...ev(x, y), touch: true });
  for (const [pointer, grabs] of [
    [ev, false],
    [touch, true],
  ]) {
    const editor = make(VECTOR_TYPE.BOX);
    dragPath(editor, [10, 10], [40, 40]);
    editor.pointerDown(pointer(47, 47)); // outside the box, ~20 screen px from its se corner
    editor.pointerMove(pointer(60, 50));
    editor.pointerUp(pointer(60, 50));
    if (grabs) assert.deepEqual(editor.finishedPoints(), [P(10, 10), P(60, 50)], "resized by the handle");
    else assert.deepEqual(editor.finishedPoints(), [P(47, 47), P(60, 50)], "a new box drawn instead");
  }
});

test("cancelDrag drops a move in progress (a second finger turned it into a pinch)", () => {
  const editor = make(VECTOR_TYPE.BOX);
  dragPath(editor, [10, 10], [20, 20]);
  editor.pointerDown(ev(15, 15));
  editor.pointerMove(ev(25, 25));
  assert.equal(editor.cancelDrag(), true);
  assert.deepEqual(editor.finishedPoints(), [P(10, 10), P(20, 20)]);
  assert.equal(editor.cancelDrag(), false, "nothing left to cancel");
});
