// Unit tests of imagelist.js's preload window: run with `node --test imagetagger/annotations/jstests/`.
import assert from "node:assert/strict";
import test from "node:test";

import { preloadWindow } from "../static/annotations/js/imagelist.js";

test("the next five, then the previous two, by list position", () => {
  assert.deepEqual(preloadWindow(10, true, 100), [11, 12, 13, 14, 15, 9, 8]);
});

test("an image that is not in the list (filtered out) has its next one at its own place", () => {
  assert.deepEqual(preloadWindow(10, false, 100), [10, 11, 12, 13, 14, 9, 8]);
});

test("round the ends, as next after the last image is the first and previous before the first the last", () => {
  assert.deepEqual(preloadWindow(98, true, 100), [99, 0, 1, 2, 3, 97, 96]);
  assert.deepEqual(preloadWindow(0, true, 100), [1, 2, 3, 4, 5, 99, 98]);
});

test("short lists: every other image once, never the current one", () => {
  assert.deepEqual(preloadWindow(1, true, 3), [2, 0]);
  assert.deepEqual(preloadWindow(0, true, 1), []);
  assert.deepEqual(preloadWindow(0, false, 0), []);
});
