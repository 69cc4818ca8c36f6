// Unit tests of imagecache.js (preloaded images): run with `node --test imagetagger/annotations/jstests/`.
import assert from "node:assert/strict";
import test from "node:test";

import { ImageCache } from "../static/annotations/js/imagecache.js";

/** An <img> stand-in whose decode() succeeds unless its URL contains "broken"; counts the images made. */
function fakeImages() {
  const made = [];
  const create = () => {
    const img = {
      decode() {
        return this.src.includes("broken") ? Promise.reject(new Error("cannot decode")) : Promise.resolve();
      },
    };
    made.push(img);
    return img;
  };
  return { made, create };
}

test("an image is fetched and decoded once per id; it counts as decoded when it is", async () => {
  const { made, create } = fakeImages();
  const cache = new ImageCache(create);
  const first = await cache.load(7, "/images/7");
  assert.equal(first.src, "/images/7");
  assert.equal(first.decoding, "async");
  assert.equal(await cache.load(7, "/images/7"), first);
  assert.equal(made.length, 1, "not fetched twice");
  assert.deepEqual(cache.decodedIds(), [7]);
});

test("a failed image is forgotten (the next load tries again); keepOnly and clear drop the others", async () => {
  const { made, create } = fakeImages();
  const cache = new ImageCache(create);
  await assert.rejects(cache.load(3, "/images/broken"), /cannot decode/);
  assert.deepEqual(cache.decodedIds(), []);
  assert.equal((await cache.load(3, "/images/3")).src, "/images/3");
  assert.equal(made.length, 2);
  await cache.load(4, "/images/4");
  await cache.load(5, "/images/5");
  cache.keepOnly(new Set([4, 5]));
  assert.deepEqual(cache.decodedIds(), [4, 5]);
  cache.keepOnly(new Set([4]));
  assert.deepEqual(cache.decodedIds(), [4]);
  cache.clear();
  assert.deepEqual(cache.decodedIds(), []);
});
