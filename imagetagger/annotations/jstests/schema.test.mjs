// schema.js: type colours, the number keys of types and tags, and the legend.
import assert from "node:assert/strict";
import test from "node:test";

import {
  FALLBACK_COLOR,
  legendEntries,
  normalizeColor,
  textColorOn,
  typeForKey,
  typeKeys,
  withAlpha,
} from "../static/annotations/js/schema.js";

const T = (id, extra = {}) => ({ id, name: `t${id}`, vector_type: 1, shortcut: null, color: "#e6194b", ...extra });

test("colours are normalized, a bad one falls back", () => {
  assert.equal(normalizeColor("#3CB44B"), "#3cb44b");
  assert.equal(normalizeColor(" #abc "), "#aabbcc");
  assert.equal(normalizeColor("red"), FALLBACK_COLOR);
  assert.equal(normalizeColor(null), FALLBACK_COLOR);
  assert.equal(withAlpha("#ff8000", 0.5), "rgba(255, 128, 0, 0.5)");
});

test("text on a swatch: black on light colours, white on dark ones", () => {
  assert.equal(textColorOn("#ffe119"), "#000");
  assert.equal(textColorOn("#000075"), "#fff");
  assert.equal(textColorOn("#ffffff"), "#000");
});

test("without shortcuts the 1st…10th drawable type take 1…9, 0 (spec §7.1.8); tags take none", () => {
  const types = [T(1), T(2), T(3, { vector_type: 6, is_tag: true }), T(4)];
  for (let id = 5; id <= 12; id += 1) types.push(T(id));
  const keys = typeKeys(types);
  assert.equal(keys.get(1), "1");
  assert.equal(keys.get(2), "2");
  assert.equal(keys.has(3), false, "a tag without a shortcut has no key");
  assert.equal(keys.get(4), "3");
  assert.equal(keys.get(11), "0", "the 10th drawable type");
  assert.equal(keys.has(12), false, "the 11th has none");
  assert.equal(typeForKey(types, "3").id, 4);
});

test("a type's own shortcut wins over positions; the first of two equal shortcuts wins", () => {
  const types = [T(1), T(2, { shortcut: 1 }), T(3, { vector_type: 6, is_tag: true, shortcut: 5 }), T(4, { shortcut: 1 })];
  const keys = typeKeys(types);
  assert.equal(keys.get(2), "1");
  assert.equal(keys.has(1), false, "position 1 is taken by type 2's shortcut");
  assert.equal(keys.get(3), "5", "tags have their shortcut");
  assert.equal(keys.has(4), false, "its shortcut is taken and it does not fall back to a position");
  assert.equal(typeForKey(types, "5").id, 3);
  assert.equal(typeForKey(types, "7"), null);
});

test("legend entries: every type in schema order with colour, key and tag flag", () => {
  const entries = legendEntries([T(1, { color: "#3CB44B" }), T(2, { vector_type: 6, is_tag: true, shortcut: 9 })]);
  assert.deepEqual(entries, [
    { id: 1, name: "t1", color: "#3cb44b", key: "1", isTag: false },
    { id: 2, name: "t2", color: "#e6194b", key: "9", isTag: true },
  ]);
});
