import assert from "node:assert/strict";
import test from "node:test";

import { HistoryBook, UndoStack } from "../static/annotations/js/history.js";

test("undo and redo walk the stack; a new entry clears redo", () => {
  const stack = new UndoStack();
  stack.push("a");
  stack.push("b");
  assert.equal(stack.undo(), "b");
  assert.equal(stack.undo(), "a");
  assert.equal(stack.undo(), null);
  assert.equal(stack.redo(), "a");
  assert.ok(stack.canRedo);
  stack.push("c");
  assert.ok(!stack.canRedo);
  assert.equal(stack.undo(), "c");
  assert.equal(stack.undo(), "a");
});

test("the stack is bounded", () => {
  const stack = new UndoStack(3);
  for (const entry of [1, 2, 3, 4]) stack.push(entry);
  assert.deepEqual([stack.undo(), stack.undo(), stack.undo(), stack.undo()], [4, 3, 2, null]);
});

test("one stack per image, the least recently used forgotten", () => {
  const book = new HistoryBook({ keep: 2 });
  book.forImage(1).push("one");
  book.forImage(2).push("two");
  assert.equal(book.forImage(1).undo(), "one");
  book.forImage(3);
  assert.deepEqual([...book.stacks.keys()], [1, 3], "image 2 was dropped");
  assert.ok(book.forImage(1).canRedo);
});
