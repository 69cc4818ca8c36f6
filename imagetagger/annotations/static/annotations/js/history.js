// Undo/redo, one stack per image (no DOM).
//
// Exports:
//   UndoStack    push(entry), undo() -> entry|null, redo() -> entry|null, canUndo, canRedo, clear()
//   HistoryBook  forImage(imageId) -> that image's UndoStack (kept for the last ``keep`` images)
//
// Entries are opaque to this module; the annotate page uses
//   {kind: "selection", before, after}           the shape being drawn or edited (editor snapshots)
//   {kind: "create", record}                      a saved new annotation (undo deletes it)
//   {kind: "update", uuid, before, after}         a saved change of vector/type/flags
//   {kind: "delete", record}                      a deleted annotation (undo creates it again)
//   {kind: "batch", entries}                      several of the above made at once (labels moved
//                                                 together): undone and redone as one step
// undo() returns the entry to revert; redo() the entry to apply again.

export class UndoStack {
  constructor(limit = 200) {
    this.limit = limit;
    this.done = [];
    this.undone = [];
  }

  push(entry) {
    this.done.push(entry);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  undo() {
    const entry = this.done.pop();
    if (entry === undefined) return null;
    this.undone.push(entry);
    return entry;
  }

  redo() {
    const entry = this.undone.pop();
    if (entry === undefined) return null;
    this.done.push(entry);
    return entry;
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  clear() {
    this.done = [];
    this.undone = [];
  }
}

export class HistoryBook {
  constructor({ keep = 50, limit = 200 } = {}) {
    this.keep = keep;
    this.limit = limit;
    this.stacks = new Map();
  }

  forImage(imageId) {
    let stack = this.stacks.get(imageId);
    if (stack) {
      this.stacks.delete(imageId); // re-insert: the Map's order is the order of use
    } else {
      stack = new UndoStack(this.limit);
    }
    this.stacks.set(imageId, stack);
    while (this.stacks.size > this.keep) this.stacks.delete(this.stacks.keys().next().value);
    return stack;
  }
}
