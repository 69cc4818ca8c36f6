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
