// The outbox of outbox.js with an in-memory storage, a scripted server and manual timers.
import assert from "node:assert/strict";
import test from "node:test";

import { Outbox, classify, opsMatch } from "../static/annotations/js/outbox.js";

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  get length() {
    return this.items.size;
  }
  key(index) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

/** A server that answers from a script: each answer is {status, data} or "down" (network error). */
function makeBox({ storage = new MemoryStorage(), answers = [], now = () => 1000, instanceId = "tab1" } = {}) {
  const sent = [];
  const timers = [];
  const events = { saved: [], rejected: [], conflicts: [] };
  const box = new Outbox({
    storage,
    prefix: "outbox.",
    instanceId,
    now,
    send: async (op) => {
      sent.push(JSON.parse(JSON.stringify(op)));
      const answer = answers.shift() ?? { status: 200, data: { id: 1, version: 1 } };
      if (answer === "down") throw new TypeError("Failed to fetch");
      return typeof answer === "function" ? answer(op) : answer;
    },
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
    onSaved: (op, data) => events.saved.push([op.kind, data]),
    onRejected: (op, status, data, dropped) => events.rejected.push([op.kind, status, dropped.length]),
    onConflict: (op, current) => events.conflicts.push([op.kind, current]),
  });
  return { box, sent, timers, events, storage, answers };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const create = (uuid, extra = {}) => ({ kind: "create", uuid, imageId: 7, fields: { image: 7, vector: { x1: 1, y1: 2 } }, ...extra });

test("classify", () => {
  assert.equal(classify(201), "ok");
  assert.equal(classify(0), "retry");
  assert.equal(classify(503), "retry");
  assert.equal(classify(412), "conflict");
  assert.equal(classify(409), "rejected");
  assert.equal(classify(400), "rejected");
});

test("opsMatch compares the fields an op sets", () => {
  const annotation = { annotation_type: { id: 3 }, vector: { x1: 1, y1: 2 }, concealed_flag: true, blurred_flag: false };
  assert.ok(opsMatch({ vector: { x1: 1, y1: 2 }, concealed: true }, annotation));
  assert.ok(!opsMatch({ vector: { x1: 1, y1: 3 } }, annotation));
  assert.ok(!opsMatch({ annotation_type: 4 }, annotation));
  assert.ok(!opsMatch({ blurred: true }, annotation));
});

test("opsMatch: the attributes sent must be stored; defaults the server added do not matter", () => {
  const annotation = { annotation_type: { id: 3 }, vector: null, attributes: { colour: "red", occluded: false } };
  assert.ok(opsMatch({ attributes: { colour: "red" } }, annotation));
  assert.ok(!opsMatch({ attributes: { colour: "blue" } }, annotation));
  assert.ok(!opsMatch({ attributes: { size: 3 } }, { ...annotation, attributes: undefined }));
});

test("a saved create leaves nothing behind", async () => {
  const { box, sent, events, storage } = makeBox({ answers: [{ status: 201, data: { id: 5, version: 1 } }] });
  box.enqueue(create("u1"));
  await settle();
  assert.equal(sent.length, 1);
  assert.equal(box.unsent, 0);
  assert.deepEqual(events.saved, [["create", { id: 5, version: 1 }]]);
  assert.deepEqual(JSON.parse(storage.getItem("outbox.tab1")).ops, []);
});

test("network failures keep the op (stored) and retry with growing delays", async () => {
  const { box, sent, timers, events, storage } = makeBox({ answers: ["down", { status: 502, data: null }] });
  box.enqueue(create("u1"));
  await settle();
  assert.equal(box.unsent, 1);
  assert.equal(JSON.parse(storage.getItem("outbox.tab1")).ops.length, 1);
  assert.equal(box.lastError, "Failed to fetch");
  timers.shift().fn();
  await settle();
  assert.equal(box.unsent, 1);
  assert.deepEqual(timers.map((timer) => timer.ms), [1000]);
  timers.shift().fn();
  await settle();
  assert.equal(box.unsent, 0);
  assert.equal(sent.length, 3);
  assert.equal(events.saved.length, 1);
  assert.equal(new Set(sent.map((op) => op.uuid)).size, 1, "the same uuid every time");
});

test("ops queued behind a create get its id and version", async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const { box, sent } = makeBox({
    answers: [
      async () => {
        await gate;
        return { status: 201, data: { id: 42, version: 1 } };
      },
      { status: 200, data: { id: 42, version: 2 } },
      { status: 204, data: null },
    ],
  });
  box.enqueue(create("u1"));
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, fields: { vector: { x1: 3, y1: 4 } } });
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, fields: { concealed: true } });
  assert.equal(box.unsent, 2, "the two updates were merged (the create is in flight)");
  release();
  await settle();
  await settle();
  assert.equal(box.unsent, 0);
  assert.deepEqual(sent[1], {
    ...sent[1],
    kind: "update",
    id: 42,
    version: 1,
    fields: { vector: { x1: 3, y1: 4 }, concealed: true },
  });
});

test("queued creates absorb updates; a delete of a queued create cancels both", async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const { box, sent } = makeBox({ answers: [async () => (await gate, { status: 201, data: { id: 1, version: 1 } })] });
  box.enqueue(create("u0")); // in flight
  box.enqueue(create("u1"));
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, fields: { blurred: true } });
  assert.equal(box.unsent, 2);
  assert.deepEqual(box.ops[1].fields, { image: 7, vector: { x1: 1, y1: 2 }, blurred: true });
  box.enqueue({ kind: "delete", uuid: "u1", imageId: 7 });
  assert.equal(box.unsent, 1);
  release();
  await settle();
  assert.equal(box.unsent, 0);
  assert.deepEqual(sent.map((op) => op.uuid), ["u0"]);
});

test("ops already sent are never merged (their answer may have been lost)", async () => {
  const { box, sent } = makeBox({ answers: ["down"] });
  box.enqueue(create("u1"));
  await settle();
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, fields: { blurred: true } });
  box.enqueue({ kind: "delete", uuid: "u1", imageId: 7 });
  assert.deepEqual(box.ops.map((op) => op.kind), ["create", "delete"], "the unsent update became the delete");
  await settle();
  await settle();
  assert.deepEqual(sent.map((op) => op.kind), ["create", "create", "delete"], "the create was sent again as it was");
});

test("a 409 rejects the op and the later ones on that annotation; others go on", async () => {
  const { box, events, sent } = makeBox({
    answers: [{ status: 409, data: { detail: "similar", conflicting_annotation: 3 } }, { status: 201, data: { id: 9, version: 1 } }],
  });
  box.enqueue(create("u1"));
  box.enqueue(create("u2"));
  await settle();
  await settle();
  assert.deepEqual(events.rejected, [["create", 409, 0]]);
  assert.equal(events.saved.length, 1);
  assert.deepEqual(sent.map((op) => op.uuid), ["u1", "u2"]);
});

test("a 412 holds the op until the user chooses; 'mine' resends over the current version", async () => {
  const current = { id: 4, version: 3, vector: { x1: 9, y1: 9 }, annotation_type: { id: 1 } };
  const { box, events, sent } = makeBox({
    answers: [{ status: 412, data: { detail: "stale", current } }, { status: 200, data: { id: 4, version: 4 } }],
  });
  const op = box.enqueue({ kind: "update", uuid: "u1", imageId: 7, id: 4, version: 2, fields: { vector: { x1: 1, y1: 1 } } });
  await settle();
  assert.deepEqual(events.conflicts, [["update", current]]);
  assert.equal(box.conflicts().length, 1);
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, id: 4, version: 2, fields: { blurred: true } });
  await settle();
  assert.equal(sent.length, 1, "later ops on that annotation wait");
  box.resolve(op.opId, "mine");
  await settle();
  await settle();
  assert.equal(sent[1].version, 3);
  assert.equal(box.unsent, 0);
});

test("'theirs' drops the op and the later ones on that annotation", async () => {
  const current = { id: 4, version: 3, vector: null, annotation_type: { id: 1 } };
  const { box, sent } = makeBox({ answers: [{ status: 412, data: { detail: "stale", current } }] });
  const op = box.enqueue({ kind: "delete", uuid: "u1", imageId: 7, id: 4, version: 2 });
  await settle();
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, id: 4, version: 2, fields: { blurred: true } });
  box.resolve(op.opId, "theirs");
  await settle();
  assert.equal(box.unsent, 0);
  assert.equal(sent.length, 1);
});

test("a replayed update whose answer was lost (412 with our fields) counts as saved; a lost delete too", async () => {
  const current = { id: 4, version: 3, vector: { x1: 1, y1: 1 }, annotation_type: { id: 1 }, concealed_flag: false };
  const { box, events } = makeBox({
    answers: [{ status: 412, data: { current } }, { status: 404, data: { detail: "gone" } }],
  });
  box.enqueue({ kind: "update", uuid: "u1", imageId: 7, id: 4, version: 2, fields: { vector: { x1: 1, y1: 1 } } });
  box.enqueue({ kind: "delete", uuid: "u2", imageId: 7, id: 5, version: 1 });
  await settle();
  await settle();
  assert.equal(box.unsent, 0);
  assert.deepEqual(events.saved.map(([kind]) => kind), ["update", "delete"]);
  assert.deepEqual(events.conflicts, []);
});

test("a reloaded page adopts the ops of the closed one; live tabs keep theirs", async () => {
  const storage = new MemoryStorage();
  let clock = 1000;
  const first = makeBox({ storage, instanceId: "old", now: () => clock, answers: ["down", "down"] });
  first.box.enqueue(create("u1"));
  await settle();
  const other = makeBox({ storage, instanceId: "other", now: () => clock, answers: ["down"] });
  other.box.enqueue(create("u2"));
  await settle();
  first.box.close();
  const reloaded = makeBox({ storage, instanceId: "new", now: () => clock });
  assert.equal(reloaded.box.adoptOrphans(), 1);
  assert.deepEqual(reloaded.box.ops.map((op) => op.uuid), ["u1"]);
  assert.equal(storage.getItem("outbox.old"), null);
  clock += 60_000; // the other tab stopped beating (crashed)
  assert.equal(reloaded.box.adoptOrphans(), 1);
  reloaded.box.flush();
  await settle();
  await settle();
  assert.equal(reloaded.box.unsent, 0);
  assert.deepEqual(reloaded.sent.map((op) => op.uuid), ["u1", "u2"]);
});

test("votes are kept and sent again after a failure; a later unsent vote replaces an earlier one", async () => {
  const { box, sent, timers } = makeBox({ answers: ["down", { status: 200, data: { vote: "reject" } }] });
  const vote = (value) => ({ kind: "vote", uuid: "u-vote", imageId: 7, id: 42, fields: { vote: value } });
  box.enqueue(vote("accept"));
  await settle();
  assert.equal(sent.length, 1, "sent at once, and failed");
  box.enqueue(vote("reject"));
  assert.equal(box.unsent, 2, "the first was sent (its answer may be lost), so it is not merged");
  timers.shift().fn();
  await settle();
  await settle();
  assert.equal(box.unsent, 0);
  assert.deepEqual(
    sent.map((op) => op.fields.vote),
    ["accept", "accept", "reject"],
    "the failed vote is resent as it was, then the newer one",
  );

  const quiet = makeBox({ answers: ["down"] });
  quiet.box.inFlight = {}; // hold the queue, so nothing is sent yet
  quiet.box.enqueue(vote("accept"));
  quiet.box.enqueue(vote(null));
  assert.equal(quiet.box.unsent, 1);
  assert.equal(quiet.box.ops[0].fields.vote, null, "withdrawn before it left: only the last one goes");
});

test("a vote on an annotation deleted meanwhile is dropped with its reason", async () => {
  const { box, events } = makeBox({ answers: [{ status: 404, data: { detail: "No annotation matches the given query." } }] });
  box.enqueue({ kind: "vote", uuid: "gone", imageId: 7, id: 5, fields: { vote: "accept" } });
  await settle();
  assert.equal(box.unsent, 0);
  assert.deepEqual(events.rejected, [["vote", 404, 0]]);
});
