// attrform.js: the browser's mirror of the server's attribute checks, form conversions, summaries.
import assert from "node:assert/strict";
import test from "node:test";

import {
  checkValues,
  defaultValues,
  formatInput,
  parseInput,
  sameValues,
  serverErrors,
  summary,
  valueProblem,
} from "../static/annotations/js/attrform.js";

const DEFS = [
  { name: "occluded", kind: "checkbox", required: false, default: false },
  { name: "count", kind: "number", required: true, default: null, min: 0, max: 10, step: 2 },
  { name: "note", kind: "text", required: false, default: null, max_length: 5 },
  { name: "colour", kind: "select", required: false, default: "red", values: ["red", "green"] },
];

test("defaults: checkboxes false, given defaults, nothing for the rest", () => {
  assert.deepEqual(defaultValues(DEFS), { occluded: false, colour: "red" });
  assert.deepEqual(defaultValues([{ name: "x", kind: "checkbox", required: false }]), { x: false });
});

test("value problems read like the server's", () => {
  const [checkbox, number, text, select] = DEFS;
  assert.equal(valueProblem(checkbox, "yes"), 'must be true or false, not "yes".');
  assert.equal(valueProblem(number, "a"), 'must be a number, not "a".');
  assert.equal(valueProblem(number, -2), "must be at least 0, not -2.");
  assert.equal(valueProblem(number, 12), "must be at most 10, not 12.");
  assert.equal(valueProblem(number, 3), "must be 0 plus a multiple of 2, not 3.");
  assert.equal(valueProblem(number, 4), null);
  assert.equal(valueProblem({ ...number, step: 0.1, min: null }, 0.3), null, "no float noise");
  assert.equal(valueProblem(text, "toolong"), "has 7 characters; at most 5 are allowed.");
  assert.equal(valueProblem(text, 5), "must be text, not 5.");
  assert.equal(valueProblem(select, "blue"), 'must be one of "red", "green", not "blue".');
  assert.equal(valueProblem(select, "green"), null);
});

test("checkValues: defaults filled, required missing, unknown names, one reason per attribute", () => {
  const ok = checkValues({ count: 4 }, DEFS);
  assert.deepEqual(ok, { values: { occluded: false, count: 4, colour: "red" }, errors: {}, unknown: [] });
  const bad = checkValues({ note: "toolong", colour: "blue", size: 3 }, DEFS);
  assert.deepEqual(Object.keys(bad.errors).sort(), ["colour", "count", "note"]);
  assert.equal(bad.errors.count, "Attribute “count” is required.");
  assert.equal(bad.errors.note, "Attribute “note” has 7 characters; at most 5 are allowed.");
  assert.equal(bad.unknown.length, 1);
});

test("form inputs: empty is not given, numbers parsed, bad numbers kept to be refused", () => {
  const [checkbox, number, text] = DEFS;
  assert.equal(parseInput(checkbox, true), true);
  assert.equal(parseInput(number, " 6 "), 6);
  assert.equal(parseInput(number, ""), null);
  assert.equal(parseInput(number, "six"), "six");
  assert.ok(valueProblem(number, parseInput(number, "six")));
  assert.equal(parseInput(text, ""), null);
  assert.equal(parseInput(text, "ab"), "ab");
  assert.equal(formatInput(number, null), "");
  assert.equal(formatInput(number, 4), "4");
  assert.equal(formatInput(checkbox, undefined), false);
});

test("summary in definition order, booleans as yes/no", () => {
  assert.equal(summary({ colour: "red", occluded: true, extra: 1, note: null }, DEFS), "occluded: yes, colour: red, extra: 1");
  assert.equal(summary({}, DEFS), "");
  assert.equal(summary(null, DEFS), "");
});

test("a server 400 is put next to the attributes it names", () => {
  const data = { detail: "Invalid.", attributes: ["Attribute “count” must be at most 10, not 12.", "Unknown attribute \"x\"."] };
  assert.deepEqual(serverErrors(data, DEFS), {
    fields: { count: "Attribute “count” must be at most 10, not 12." },
    general: ['Unknown attribute "x".'],
  });
  assert.deepEqual(serverErrors({ attributes: "Attribute “note” has 9 characters; at most 5 are allowed." }, DEFS).fields, {
    note: "Attribute “note” has 9 characters; at most 5 are allowed.",
  });
  assert.deepEqual(serverErrors({ detail: "Attribute “colour” must be one of …" }, DEFS).fields, {
    colour: "Attribute “colour” must be one of …",
  });
});

test("sameValues ignores key order and missing vs null", () => {
  assert.ok(sameValues({ a: 1, b: null }, { a: 1 }));
  assert.ok(!sameValues({ a: 1 }, { a: 2 }));
});
