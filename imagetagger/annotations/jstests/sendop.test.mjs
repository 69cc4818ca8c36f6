// Requests made from outbox ops (sendop.js).
import assert from "node:assert/strict";
import test from "node:test";

import { requestFor, sendOp } from "../static/annotations/js/sendop.js";

const base = "/api/v1/annotations/";

test("each kind of change becomes its request", () => {
  const fields = { image: 1, annotation_type: 2, vector: { x1: 1, y1: 1 } };
  assert.deepEqual(requestFor({ kind: "create", uuid: "u", fields }, { annotationsUrl: base }), {
    url: base,
    method: "POST",
    body: { ...fields, uuid: "u" },
  });
  assert.deepEqual(requestFor({ kind: "update", uuid: "u", id: 9, version: 3, fields: { blurred: true } }, { annotationsUrl: base }), {
    url: `${base}9/`,
    method: "PATCH",
    body: { blurred: true, version: 3 },
  });
  assert.deepEqual(requestFor({ kind: "delete", uuid: "u", id: 9, version: 4 }, { annotationsUrl: base }), {
    url: `${base}9/?version=4`,
    method: "DELETE",
  });
  assert.deepEqual(requestFor({ kind: "vote", uuid: "u", id: 9, fields: { vote: "accept" } }, { annotationsUrl: base }), {
    url: `${base}9/vote/`,
    method: "PUT",
    body: { vote: "accept" },
  });
  assert.deepEqual(requestFor({ kind: "vote", uuid: "u", id: 9, fields: { vote: null } }, { annotationsUrl: base }), {
    url: `${base}9/vote/`,
    method: "DELETE",
  });
  assert.equal(requestFor({ kind: "update", uuid: "u", fields: {} }, { annotationsUrl: base }), null, "never saved");
  assert.throws(() => requestFor({ kind: "bogus", uuid: "u", id: 1 }, { annotationsUrl: base }), /Unknown change/);
});

test("ops queued before their create was answered take the id and version the page knows", async () => {
  const calls = [];
  const fakeFetch = async (url, init) => {
    calls.push([url, init]);
    return { status: 200, json: async () => ({ id: 9, version: 5 }) };
  };
  const answer = await sendOp(
    { kind: "update", uuid: "u", id: null, version: null, fields: { concealed: true } },
    { annotationsUrl: base, lookup: () => ({ id: 9, version: 4 }), csrfToken: () => "tok", fetch: fakeFetch },
  );
  assert.deepEqual(answer, { status: 200, data: { id: 9, version: 5 } });
  const [url, init] = calls[0];
  assert.equal(url, `${base}9/`);
  assert.equal(init.method, "PATCH");
  assert.equal(init.headers["X-CSRFToken"], "tok");
  assert.deepEqual(JSON.parse(init.body), { concealed: true, version: 4 });

  const missing = await sendOp({ kind: "delete", uuid: "x" }, { annotationsUrl: base, csrfToken: () => "", fetch: fakeFetch });
  assert.equal(missing.status, 404);
  assert.equal(calls.length, 1, "nothing sent for an annotation that was never saved");
});
