// Page wiring of an outbox (outbox.js), shared by the annotate and verification pages:
//   keepOutboxAlive(outbox)  a warning before leaving with unsent changes, a hand-over on pagehide (so that
//                            the reloaded page adopts them at once), a restart when the page comes back from
//                            the back/forward cache or the network comes back, a heartbeat that also retries
//                            a stalled queue, and the "Send now" button (#retry-button)
//   renderOutboxStatus(outbox, savedText)  #save-status (data-state saved | saving | unsent) and the
//                            unsent panel (#unsent-panel, #unsent-count, #unsent-error)
//   problemSentence(outbox, online)  why changes wait, as a sentence for people ("Not connected — 3 changes
//                            are kept in this browser and will be sent when the connection is back.")
//   errorSentence(error, what)  a failed load (apiFetch/fetch error) as a sentence, never "Failed to fetch"

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

function kept(count) {
  return `${count} change${count === 1 ? " is" : "s are"} kept in this browser`;
}

/** Why ``outbox``'s changes wait (it has a lastError), in plain words; ``online``: navigator.onLine. */
export function problemSentence(outbox, online = true) {
  const count = outbox.unsent;
  const status = outbox.lastStatus;
  if (!online || status === 0) return `Not connected — ${kept(count)} and will be sent when the connection is back.`;
  if (status === 401) return `You are no longer logged in — ${kept(count)}; log in again (in another tab) and they will be sent.`;
  if (status === 408 || status === 504) return `The server did not answer in time — ${kept(count)} and will be sent again in a moment.`;
  if (status === 429) return `The server is busy — ${kept(count)} and will be sent again in a moment.`;
  if (status >= 500) return `The server has a problem (error ${status}) — ${kept(count)} and will be sent again in a moment.`;
  return `${outbox.lastError} ${kept(count).replace(/^./, (c) => c.toUpperCase())} and will be sent again automatically.`;
}

/** A failed load as a sentence: "Could not load the image: not connected …" rather than "Failed to fetch". */
export function errorSentence(error, what, online = typeof navigator === "undefined" ? true : navigator.onLine) {
  const status = error && error.status;
  let reason;
  if (!online || !status) reason = "not connected to the server. It is tried again when you go on; check the connection.";
  else if (status === 408 || status === 504) reason = "the server did not answer in time. Try again in a moment.";
  else if (status >= 500) reason = `the server has a problem (error ${status}). Try again in a moment.`;
  else reason = (error && error.message) || `the server answered ${status}.`;
  return `Could not ${what}: ${reason}`;
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
      ? problemSentence(outbox, doc.defaultView?.navigator?.onLine ?? true)
      : "";
}
