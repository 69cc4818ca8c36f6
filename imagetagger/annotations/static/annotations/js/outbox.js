// The outbox: every change of an annotation is kept in browser storage until the server confirmed
// it, and sent again after a network or server failure, a reload or a crash (no DOM; the storage,
// the sending and the timers are passed in, so that Node tests can drive it).
//
// Exports:
//   Outbox          new Outbox({storage, prefix, send, …}); enqueue(op); flush(); resolve(opId, choice)
//   opsMatch(fields, annotation) whether an annotation from the API already has the op's fields
//   classify(status) "ok" | "retry" | "conflict" | "rejected"
//
// An op: {opId, kind: "create"|"update"|"delete", uuid, imageId, fields, id, version, state}
//   create: fields = {image, annotation_type, vector, concealed, blurred, attributes} (+ uuid sent as is)
//   update: fields = the changed ones among {vector, annotation_type, concealed, blurred, attributes}; ``id``
//           and ``version`` name the annotation and the version the user saw (null while its
//           create is still queued: taken from the create's answer)
//   delete: id, version
//   vote:   fields = {vote: "accept"|"reject"|null (withdraw)}, id (the verification page)
// Ops are sent one at a time, in order. Answers:
//   2xx                     saved (onSaved(op, data)); later ops on the same uuid get its id/version
//   412 (stale)             held as a conflict (onConflict(op, current)) until resolve(opId,
//                           "mine"|"theirs"); when the current state already equals the op's
//                           fields (our own earlier request whose answer was lost) it counts as saved
//   404 on delete           saved (already gone)
//   other 4xx (400, 403, 404, 409 similar …)  rejected (onRejected(op, status, data)), with the
//                           later ops on that uuid
//   network error, 401, 408, 429, 5xx        kept, and tried again after a growing delay
//
// Each page keeps its ops under its own storage key "<prefix><instance id>" with a heartbeat; a page
// that starts adopts the ops of pages that were closed (pagehide) or stopped beating, so that a
// reload or a crash loses nothing and two open tabs do not overwrite each other's changes.

export const RETRY_DELAYS = [500, 1000, 2000, 4000, 8000];
export const HEARTBEAT_MS = 3000;
export const ORPHAN_AFTER_MS = 15000;

export function classify(status) {
  if (status >= 200 && status < 300) return "ok";
  if (status === 0 || status === 401 || status === 408 || status === 429 || status >= 500) return "retry";
  if (status === 412) return "conflict";
  return "rejected";
}

/** Whether ``annotation`` (as the API shows it) already carries the op's fields. */
export function opsMatch(fields, annotation) {
  if (!annotation) return false;
  for (const [name, value] of Object.entries(fields)) {
    if (name === "annotation_type") {
      if ((annotation.annotation_type && annotation.annotation_type.id) !== value) return false;
    } else if (name === "vector") {
      if (JSON.stringify(annotation.vector ?? null) !== JSON.stringify(value ?? null)) return false;
    } else if (name === "concealed" || name === "blurred") {
      if (annotation[`${name}_flag`] !== value) return false;
    } else if (name === "attributes") {
      // The server fills in defaults: the values sent must be there, others may be added.
      const stored = annotation.attributes || {};
      for (const [key, given] of Object.entries(value || {})) {
        if (JSON.stringify(stored[key] ?? null) !== JSON.stringify(given ?? null)) return false;
      }
    }
  }
  return true;
}

function randomId() {
  if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
}

export class Outbox {
  constructor({
    storage,
    prefix,
    send,
    instanceId = randomId(),
    now = () => Date.now(),
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (handle) => clearTimeout(handle),
    retryDelays = RETRY_DELAYS,
    onSaved = () => {},
    onRejected = () => {},
    onConflict = () => {},
    onChange = () => {},
  }) {
    Object.assign(this, { storage, prefix, send, now, setTimer, clearTimer, retryDelays });
    Object.assign(this, { onSaved, onRejected, onConflict, onChange });
    this.key = `${prefix}${instanceId}`;
    this.ops = [];
    this.inFlight = null;
    this.failures = 0;
    this.timer = null;
    this.lastError = null;
    this.lastStatus = null;
    this.stopped = false;
  }

  // --- storage ---------------------------------------------------------------------------------------

  _read(key) {
    try {
      const data = JSON.parse(this.storage.getItem(key) || "null");
      return data && Array.isArray(data.ops) ? data : null;
    } catch {
      return null;
    }
  }

  save() {
    const data = JSON.stringify({ beat: this.stopped ? 0 : this.now(), ops: this.ops });
    try {
      if (this.ops.length === 0 && this.stopped) this.storage.removeItem(this.key);
      else this.storage.setItem(this.key, data);
    } catch (error) {
      this.lastError = `Your browser refused to store the unsent changes (${error.message}).`;
    }
  }

  /** Take over the ops of closed or silent pages (including this tab before a reload). */
  adoptOrphans() {
    const keys = [];
    for (let index = 0; index < this.storage.length; index += 1) {
      const key = this.storage.key(index);
      if (key && key.startsWith(this.prefix) && key !== this.key) keys.push(key);
    }
    let adopted = 0;
    for (const key of keys) {
      const data = this._read(key);
      if (data && data.beat && this.now() - data.beat < ORPHAN_AFTER_MS) continue; // alive
      if (data) {
        for (const op of data.ops) {
          if (this.ops.some((mine) => mine.opId === op.opId)) continue;
          this.ops.push({ ...op, state: op.state === "conflict" ? "conflict" : "pending" });
          adopted += 1;
        }
      }
      this.storage.removeItem(key);
    }
    this.save();
    if (adopted) this.onChange();
    return adopted;
  }

  heartbeat() {
    if (this.ops.length) this.save();
  }

  /** The page goes away: mark our ops as free to adopt at once (by the reloaded page). */
  close() {
    this.stopped = true;
    this.save();
  }

  // --- queue ---------------------------------------------------------------------------------------

  get unsent() {
    return this.ops.length;
  }

  opsFor(imageId) {
    return this.ops.filter((op) => op.imageId === imageId);
  }

  conflicts() {
    return this.ops.filter((op) => op.state === "conflict");
  }

  /** Queue a change (merged into a queued one on the same annotation when possible) and send it. */
  enqueue(change) {
    const op = { opId: randomId(), id: null, version: null, state: "pending", ...change };
    let merged = false;
    const previous = this._lastQueued(op.uuid);
    // Only ops never sent are merged: a sent one may have reached the server (its answer lost), and
    // its retry must stay the same request.
    if (previous && previous.state === "pending" && !previous.sent) {
      if (op.kind === "update" && (previous.kind === "create" || previous.kind === "update")) {
        previous.fields = { ...previous.fields, ...op.fields };
        merged = true;
      } else if (op.kind === "delete" && previous.kind === "create") {
        this.ops.splice(this.ops.indexOf(previous), 1);
        merged = true;
      } else if (op.kind === "vote" && previous.kind === "vote") {
        previous.fields = op.fields; // only the last vote counts
        merged = true;
      } else if (op.kind === "delete" && previous.kind === "update") {
        previous.kind = "delete";
        previous.fields = {};
        merged = true;
      }
    }
    if (!merged) this.ops.push(op);
    this.save();
    this.onChange();
    this.flush();
    return op;
  }

  _lastQueued(uuid) {
    for (let index = this.ops.length - 1; index >= 0; index -= 1) {
      const op = this.ops[index];
      if (op.uuid === uuid) return op === this.inFlight ? null : op;
    }
    return null;
  }

  _next() {
    const blocked = new Set();
    for (const op of this.ops) {
      if (op.state === "conflict") {
        blocked.add(op.uuid);
        continue;
      }
      if (!blocked.has(op.uuid)) return op;
    }
    return null;
  }

  /** Send the queued ops one after the other; stops at a failure and tries again later. */
  async flush() {
    if (this.inFlight || this.stopped) return;
    if (this.timer) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    for (;;) {
      const op = this._next();
      if (!op) return;
      this.inFlight = op;
      if (!op.sent) {
        op.sent = true;
        this.save();
      }
      let status = 0;
      let data = null;
      try {
        ({ status, data } = await this.send(op));
      } catch (error) {
        status = 0;
        data = { detail: error && error.message };
      }
      this.inFlight = null;
      if (!this.ops.includes(op)) continue; // dropped meanwhile (resolve "theirs")
      const outcome = this._outcome(op, status, data);
      if (outcome === "retry") {
        this.failures += 1;
        this.lastError = (data && data.detail) || (status ? `The server answered ${status}.` : "No connection to the server.");
        this.lastStatus = status; // 0: no answer (offline, refused, cut)
        this.onChange();
        const delay = this.retryDelays[Math.min(this.failures - 1, this.retryDelays.length - 1)];
        this.timer = this.setTimer(() => {
          this.timer = null;
          this.flush();
        }, delay);
        return;
      }
      this.failures = 0;
      this.lastError = null;
      this.lastStatus = null;
    }
  }

  _outcome(op, status, data) {
    let kind = classify(status);
    if (kind === "rejected" && status === 404 && op.kind === "delete") kind = "ok";
    if (kind === "conflict") {
      const current = data && data.current;
      if (op.kind === "update" && opsMatch(op.fields, current)) {
        kind = "ok";
        data = current;
      } else {
        op.state = "conflict";
        op.current = current || null;
        this.save();
        this.onChange();
        this.onConflict(op, op.current);
        return "conflict";
      }
    }
    if (kind === "retry") return "retry";
    this._remove(op);
    if (kind === "ok") {
      if (data && data.id) {
        for (const later of this.ops) {
          if (later.uuid === op.uuid) {
            later.id = data.id;
            if (data.version) later.version = data.version;
          }
        }
      }
      this.save();
      this.onChange();
      this.onSaved(op, data);
      return "ok";
    }
    const dropped = this.ops.filter((later) => later.uuid === op.uuid);
    this.ops = this.ops.filter((later) => later.uuid !== op.uuid);
    this.save();
    this.onChange();
    this.onRejected(op, status, data, dropped);
    return "rejected";
  }

  _remove(op) {
    const index = this.ops.indexOf(op);
    if (index >= 0) this.ops.splice(index, 1);
  }

  /** Settle a 412: "mine" sends the change again over the current version; "theirs" drops it. */
  resolve(opId, choice) {
    const op = this.ops.find((candidate) => candidate.opId === opId);
    if (!op || op.state !== "conflict") return null;
    if (choice === "mine") {
      op.state = "pending";
      if (op.current) {
        op.version = op.current.version;
        op.id = op.current.id;
      }
      delete op.current;
    } else {
      this.ops = this.ops.filter((later) => later.uuid !== op.uuid || (later !== op && this.ops.indexOf(later) < this.ops.indexOf(op)));
    }
    this.save();
    this.onChange();
    this.flush();
    return op;
  }
}
