// Page wiring of an outbox (outbox.js), shared by the annotate and verification pages:
//   keepOutboxAlive(outbox)  a warning before leaving with unsent changes, a hand-over on pagehide (so that
//                            the reloaded page adopts them at once), a restart when the page comes back from
//                            the back/forward cache or the network comes back, a heartbeat that also retries
//                            a stalled queue, and the "Send now" button (#retry-button)
//   renderOutboxStatus(outbox, savedText)  #save-status (data-state saved | saving | unsent) and the
//                            unsent panel (#unsent-panel, #unsent-count, #unsent-error)

import { HEARTBEAT_MS } from "./outbox.js";

export function keepOutboxAlive(outbox, win = window) {
  win.document.getElementById("retry-button")?.addEventListener("click", () => {
    outbox.failures = 0;
    outbox.flush();
  });
  win.addEventListener("beforeunload", (event) => {
    if (outbox.unsent > 0) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  win.addEventListener("pagehide", () => outbox.close());
  win.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      outbox.stopped = false;
      outbox.save();
      outbox.flush();
    }
  });
  win.addEventListener("online", () => outbox.flush());
  return win.setInterval(() => {
    outbox.heartbeat();
    if (outbox.unsent && !outbox.inFlight && !outbox.timer) outbox.flush();
  }, HEARTBEAT_MS);
}

const STATUS_ICONS = { saved: "bi-cloud-check", saving: "bi-cloud-upload", unsent: "bi-cloud-slash" };

export function renderOutboxStatus(outbox, savedText, doc = document) {
  const unsent = outbox.unsent;
  const conflicts = outbox.conflicts().length;
  const plural = unsent === 1 ? "" : "s";
  const stuck = Boolean(outbox.lastError || conflicts);
  let [state, text] = ["saved", savedText];
  if (unsent && stuck) [state, text] = ["unsent", `${unsent} unsent change${plural}`];
  else if (unsent) [state, text] = ["saving", `Saving ${unsent} change${plural}…`];
  const status = doc.getElementById("save-status");
  const icon = doc.createElement("i");
  icon.className = `bi ${STATUS_ICONS[state]}`;
  icon.setAttribute("aria-hidden", "true");
  status.dataset.state = state;
  status.replaceChildren(icon, ` ${text}`);
  doc.getElementById("unsent-panel").hidden = unsent === 0 || !stuck;
  doc.getElementById("unsent-count").textContent = String(unsent);
  doc.getElementById("unsent-error").textContent = conflicts
    ? `${conflicts} change(s) wait for your choice.`
    : outbox.lastError
      ? `${outbox.lastError} They are kept in this browser and sent again automatically.`
      : "";
}
