// The verification page's list of annotations: loaded page by page around the current one by
// keyset (``after``/``before`` an annotation id), so that it stays right while it shrinks on the
// server (votes take annotations out of "not voted by me") and any start is cheap (no DOM).
//
//   VerifyQueue   new VerifyQueue({fetchJson, listUrl, pageSize})
//                 setFilters({image_set, annotation_type, not_voted_by_me, not_mine}) (forgets the list)
//                 start(annotation|null): the list around that annotation (it is the current one,
//                   even when the filters would leave it out), or from the beginning
//                 current, index, entries; next()/previous() -> the new current one, or null at an end
//                 upcoming(n) the next n entries (to preload), replace(annotation), remaining(),
//                 remainingIsExact() (false: "at least", the server counts up to COUNT_UP_TO)
//
// An entry is an annotation as /api/v1/annotations/ lists it.

export const PAGE_SIZE = 50;
export const LOOKAHEAD = 10;
// The server counts what remains up to this many (a count of a whole large set costs a scan).
export const COUNT_UP_TO = 1000;

export class VerifyQueue {
  constructor({ fetchJson, listUrl, pageSize = PAGE_SIZE }) {
    Object.assign(this, { fetchJson, listUrl, pageSize });
    this.filters = {};
    this.reset();
  }

  reset() {
    this.entries = [];
    this.index = -1;
    this.done = { after: false, before: false };
    this.loading = { after: null, before: null };
    this.afterCount = null; // entries after the last loaded one, as the server counted them
    this.afterExact = true; // false: there are more than afterCount (the server stopped counting)
    this.generation = (this.generation || 0) + 1;
  }

  setFilters(filters) {
    this.filters = { ...filters };
    this.reset();
  }

  get current() {
    return this.entries[this.index] || null;
  }

  _url(params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries({ ...this.filters, ...params })) {
      if (value !== null && value !== undefined && value !== "" && value !== false) query.set(name, String(value));
    }
    return `${this.listUrl}?${query}`;
  }

  async start(annotation = null) {
    this.reset();
    if (annotation) {
      this.entries = [annotation];
      this.index = 0;
      await Promise.all([this.load("after"), this.load("before")]);
    } else {
      this.done.before = true;
      await this.load("after");
      this.index = this.entries.length ? 0 : -1;
    }
    return this.current;
  }

  /** Load one more page at the end (``after``) or the start (``before``) of the list. */
  load(direction) {
    if (this.done[direction]) return Promise.resolve(0);
    if (!this.loading[direction]) {
      const generation = this.generation;
      const promise = this._load(direction, generation).finally(() => {
        if (generation === this.generation) this.loading[direction] = null;
      });
      this.loading[direction] = promise;
    }
    return this.loading[direction];
  }

  async _load(direction, generation) {
    // The anchor may have been deleted on the server meanwhile: then the one beside it is tried.
    for (let attempt = 0; ; attempt += 1) {
      const anchorIndex = direction === "after" ? this.entries.length - 1 - attempt : attempt;
      const anchor = this.entries[anchorIndex];
      if (this.entries.length && !anchor) {
        this.done[direction] = true;
        return 0;
      }
      let data;
      try {
        const count = direction === "after" ? COUNT_UP_TO : null;
        data = await this.fetchJson(
          this._url({ [direction]: anchor ? anchor.id : null, page_size: this.pageSize, count }),
        );
      } catch (error) {
        if (error.status === 400 && error.data && error.data.errors && error.data.errors[direction]) continue;
        throw error;
      }
      if (generation !== this.generation) return 0;
      const known = new Set(this.entries.map((entry) => entry.id));
      const fresh = data.results.filter((entry) => !known.has(entry.id));
      if (direction === "after") {
        this.entries.push(...fresh);
        this.afterCount = Math.max(0, data.count - data.results.length);
        this.afterExact = data.count_exact !== false;
      } else {
        fresh.reverse();
        this.entries.unshift(...fresh);
        this.index += fresh.length;
      }
      if (data.results.length < this.pageSize || !data.next) this.done[direction] = true;
      return fresh.length;
    }
  }

  async next() {
    while (this.index + 1 >= this.entries.length) {
      if (this.done.after) return null;
      const generation = this.generation;
      await this.load("after");
      if (generation !== this.generation) return null;
    }
    this.index += 1;
    if (this.entries.length - this.index - 1 < LOOKAHEAD) this.load("after").catch(() => {});
    return this.current;
  }

  async previous() {
    while (this.index <= 0) {
      if (this.done.before) return null;
      const generation = this.generation;
      const added = await this.load("before");
      if (generation !== this.generation) return null;
      if (!added && this.done.before) return null;
    }
    this.index -= 1;
    if (this.index < LOOKAHEAD) this.load("before").catch(() => {});
    return this.current;
  }

  upcoming(count) {
    return this.entries.slice(this.index + 1, this.index + 1 + count);
  }

  /** Whether remaining() is exact; false: there are at least that many (the server stopped counting). */
  remainingIsExact() {
    return this.done.after || this.afterExact;
  }

  /** Entries after the current one: loaded, plus those the server still has (null while unknown). */
  remaining() {
    const loaded = this.entries.length - this.index - 1;
    if (this.done.after) return loaded;
    return this.afterCount === null ? null : loaded + this.afterCount;
  }

  replace(annotation) {
    const position = this.entries.findIndex((entry) => entry.id === annotation.id);
    if (position >= 0) this.entries[position] = annotation;
  }
}
