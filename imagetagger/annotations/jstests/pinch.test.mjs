// Unit tests of pinch.js (two-finger gestures): run with `node --test imagetagger/annotations/jstests/`.
import assert from "node:assert/strict";
import test from "node:test";

import { screenToImage } from "../static/annotations/js/geometry.js";
import { TwoFingers } from "../static/annotations/js/pinch.js";

const VIEW = { scale: 1, x: 0, y: 0 };

test("one finger is no pinch; the second starts one that zooms and pans", () => {
  const fingers = new TwoFingers();
  assert.equal(fingers.down(1, { x: 100, y: 100 }, VIEW), false);
  assert.equal(fingers.active, false);
  assert.equal(fingers.move(1, { x: 110, y: 100 }), null, "a lone finger is the page's to handle");
  assert.equal(fingers.down(2, { x: 200, y: 100 }, VIEW), true);
  assert.equal(fingers.active, true);
  // the pinch starts where the fingers are: 110 and 200, 90 apart; 110 and 290 are twice as far
  const view = fingers.move(2, { x: 290, y: 100 });
  assert.equal(view.scale, 2);
  // the image point under the first midpoint (155, 100) is under the new midpoint (200, 100)
  const anchor = screenToImage(VIEW, { x: 155, y: 100 });
  assert.deepEqual(screenToImage(view, { x: 200, y: 100 }), anchor);
});

test("the pinch lasts until every finger is lifted; a third finger changes nothing", () => {
  const fingers = new TwoFingers();
  fingers.down(1, { x: 0, y: 0 }, VIEW);
  fingers.down(2, { x: 100, y: 0 }, VIEW);
  assert.equal(fingers.down(3, { x: 50, y: 50 }, VIEW), false);
  assert.equal(fingers.up(3), true, "a finger of the pinch");
  assert.equal(fingers.up(1), true);
  assert.equal(fingers.active, true, "one finger still down");
  assert.equal(fingers.move(2, { x: 300, y: 0 }), null, "no zoom with one finger left");
  assert.equal(fingers.up(2), true);
  assert.equal(fingers.active, false);
  assert.equal(fingers.up(2), false, "unknown afterwards");
  assert.equal(fingers.down(4, { x: 0, y: 0 }, VIEW), false, "a new gesture starts afresh");
});
