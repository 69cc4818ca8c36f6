// Page wiring that keeps an outbox (outbox.js) going for as long as the page lives: a warning before
// leaving with unsent changes, a hand-over on pagehide (so that the reloaded page adopts them at
// once), a restart when the page comes back from the back/forward cache or the network comes back,
// and a heartbeat that also retries a stalled queue.

import { HEARTBEAT_MS } from "./outbox.js";

export function keepOutboxAlive(outbox, win = window) {
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
