// The save state and unsent panel shared by the annotate and verification pages (keepalive.js).
import assert from "node:assert/strict";
import test from "node:test";

import { renderOutboxStatus } from "../static/annotations/js/keepalive.js";

function fakeDocument() {
  const elements = {};
  for (const id of ["save-status", "unsent-panel", "unsent-count", "unsent-error"]) {
    elements[id] = {
      dataset: {},
      hidden: true,
      textContent: "",
      children: [],
      replaceChildren(...children) {
        this.children = children;
      },
    };
  }
  return {
    elements,
    getElementById: (id) => elements[id],
    createElement: () => ({ setAttribute() {} }),
  };
}

const text = (element) => element.children.filter((child) => typeof child === "string").join("");

test("saved, saving and unsent states with the panel shown only when changes are stuck", () => {
  const doc = fakeDocument();
  const status = doc.elements["save-status"];
  const box = { unsent: 0, lastError: null, conflicts: () => [] };
  renderOutboxStatus(box, "All votes saved", doc);
  assert.equal(status.dataset.state, "saved");
  assert.equal(text(status), " All votes saved");
  assert.equal(doc.elements["unsent-panel"].hidden, true);

  box.unsent = 1;
  renderOutboxStatus(box, "All votes saved", doc);
  assert.equal(status.dataset.state, "saving");
  assert.equal(text(status), " Saving 1 change…");
  assert.equal(doc.elements["unsent-panel"].hidden, true, "in flight, not stuck");

  box.unsent = 3;
  box.lastError = "No connection to the server.";
  renderOutboxStatus(box, "All votes saved", doc);
  assert.equal(status.dataset.state, "unsent");
  assert.equal(text(status), " 3 unsent changes");
  assert.equal(doc.elements["unsent-panel"].hidden, false);
  assert.equal(doc.elements["unsent-count"].textContent, "3");
  assert.match(doc.elements["unsent-error"].textContent, /No connection.*sent again automatically/);

  box.lastError = null;
  box.conflicts = () => [{}];
  renderOutboxStatus(box, "All votes saved", doc);
  assert.equal(status.dataset.state, "unsent");
  assert.equal(doc.elements["unsent-error"].textContent, "1 change(s) wait for your choice.");
});

test("why changes wait, in sentences: offline, server errors, time-outs, never the raw fetch error", async () => {
  const { problemSentence, errorSentence } = await import("../static/annotations/js/keepalive.js");
  const box = { unsent: 3, lastStatus: 0, lastError: "Failed to fetch" };
  assert.equal(
    problemSentence(box, true),
    "Not connected — 3 changes are kept in this browser and will be sent when the connection is back.",
  );
  assert.equal(
    problemSentence({ ...box, unsent: 1, lastStatus: 503 }, true),
    "The server has a problem (error 503) — 1 change is kept in this browser and will be sent again in a moment.",
  );
  assert.match(problemSentence({ ...box, lastStatus: 504 }, true), /^The server did not answer in time — 3 changes are kept/);
  assert.match(problemSentence({ ...box, lastStatus: 401 }, true), /no longer logged in/);
  assert.match(problemSentence({ ...box, lastStatus: 500 }, false), /^Not connected/, "the browser knows it is offline");
  for (const status of [0, 500, 504, 401, 429]) assert.doesNotMatch(problemSentence({ ...box, lastStatus: status }, true), /Failed to fetch/);
  const offline = new TypeError("Failed to fetch");
  assert.equal(
    errorSentence(offline, "load the image", true),
    "Could not load the image: not connected to the server. It is tried again when you go on; check the connection.",
  );
  assert.equal(errorSentence(Object.assign(new Error("x"), { status: 502 }), "load the image", true), "Could not load the image: the server has a problem (error 502). Try again in a moment.");
  assert.equal(errorSentence(Object.assign(new Error("Not found."), { status: 404 }), "open the image", true), "Could not open the image: Not found.");
});
