// typeeditor.js: attribute rows ↔ the definitions the server checks (annotations.attributes.clean_definitions).
import assert from "node:assert/strict";
import test from "node:test";

import { definitionOf, rowFromDefinition, rowNamedIn, valuesOf } from "../static/annotations/js/typeeditor.js";

const CANONICAL = [
  { name: "occluded", kind: "checkbox", required: false, default: true },
  { name: "speed", kind: "number", required: true, min: 0, max: 10, step: 0.5, default: null },
  { name: "note", kind: "text", required: false, max_length: 30, default: "none" },
  { name: "pose", kind: "select", required: false, values: ["front", "side"], default: "side" },
];

test("canonical definitions survive a round trip through the editor's rows", () => {
  assert.deepEqual(CANONICAL.map(rowFromDefinition).map(definitionOf), CANONICAL);
});

test("a new row is an unticked checkbox with no name", () => {
  assert.deepEqual(definitionOf(rowFromDefinition({ kind: "checkbox" })), {
    name: "",
    kind: "checkbox",
    required: false,
    default: false,
  });
});

test("only the keys of the row's kind are written (the server refuses others)", () => {
  const row = rowFromDefinition(CANONICAL[1]);
  row.kind = "select";
  row.values = " a \n\n b\n";
  row.default = "";
  assert.deepEqual(definitionOf(row), { name: "speed", kind: "select", required: true, values: ["a", "b"], default: null });
  assert.deepEqual(valuesOf(row), ["a", "b"]);
});

test("numbers: empty bounds are null, typed numbers are numbers, nonsense is passed on for the server to name", () => {
  const row = rowFromDefinition({ name: "n", kind: "number" });
  row.min = "";
  row.max = "2.5";
  row.step = "x";
  row.default = "1";
  assert.deepEqual(definitionOf(row), { name: "n", kind: "number", required: false, min: null, max: 2.5, step: "x", default: 1 });
});

test("text: an empty maximum length takes the server's default of 200", () => {
  const row = rowFromDefinition({ name: "t", kind: "text" });
  row.max_length = "";
  assert.equal(definitionOf(row).max_length, 200);
});

test("server messages point at the row they name, by name or by position", () => {
  const rows = CANONICAL.map(rowFromDefinition);
  assert.equal(rowNamedIn("Attribute “pose”: the default must be one of …", rows), rows[3]);
  assert.equal(rowNamedIn("Attribute 2: give it a name.", rows), rows[1]);
  assert.equal(rowNamedIn("Give the attributes as a list of definitions.", rows), undefined);
  assert.equal(rowNamedIn("Attribute “gone”: …", rows), undefined);
});
