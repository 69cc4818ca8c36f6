// Unit tests of imagecache.js (preloaded images): run with `node --test imagetagger/annotations/jstests/`.
import assert from "node:assert/strict";
import test from "node:test";

import { ImageCache } from "../static/annotations/js/imagecache.js";

/** An <img> stand-in whose decode() succeeds unless its URL contains "broken". */
function fakeImage() {
  return {
    decode() {
      return this.src.includes("broken") ? Promise.reject(new Error("cannot decode")) : Promise.resolve();
    },
  };
}

test("a loaded image is kept as a bitmap made from the decoded <img>, once per id", async () => {
  const made = [];
  const cache = new ImageCache(fakeImage, async (img) => {
    made.push(img.src);
    return { bitmapOf: img.src };
  });
  const first = await cache.load(7, "/images/7");
  assert.deepEqual(first, { bitmapOf: "/images/7" });
  assert.equal(await cache.load(7, "/images/7"), first, "the same promise: not fetched twice");
  assert.deepEqual(made, ["/images/7"]);
  assert.deepEqual(cache.decodedIds(), [7]);
});

test("without bitmaps, or when making one fails, the decoded <img> itself is used", async () => {
  const plain = new ImageCache(fakeImage, null);
  assert.equal((await plain.load(1, "/images/1")).src, "/images/1");
  const failing = new ImageCache(fakeImage, () => Promise.reject(new Error("out of memory")));
  assert.equal((await failing.load(2, "/images/2")).src, "/images/2");
  assert.deepEqual(failing.decodedIds(), [2]);
});

test("a failed image is forgotten (the next load tries again); keepOnly and clear drop the others", async () => {
  const cache = new ImageCache(fakeImage, null);
  await assert.rejects(cache.load(3, "/images/broken"), /cannot decode/);
  assert.deepEqual(cache.decodedIds(), []);
  assert.equal((await cache.load(3, "/images/3")).src, "/images/3");
  await cache.load(4, "/images/4");
  await cache.load(5, "/images/5");
  cache.keepOnly(new Set([4]));
  assert.deepEqual(cache.decodedIds(), [4]);
  cache.clear();
  assert.deepEqual(cache.decodedIds(), []);
});
