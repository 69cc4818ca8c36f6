// The verification list (verifylist.js) against a fake API with keyset paging.
import assert from "node:assert/strict";
import test from "node:test";

import { COUNT_UP_TO, VerifyQueue } from "../static/annotations/js/verifylist.js";

/** A fake /api/v1/annotations/ over ``rows`` (sorted), honouring after/before/page_size and a filter. */
function fakeApi(rows, { filter = () => true } = {}) {
  const requests = [];
  const fetchJson = async (url) => {
    const query = new URL(url, "http://x").searchParams;
    requests.push(Object.fromEntries(query));
    const size = Number(query.get("page_size"));
    const position = (id) => rows.findIndex((row) => row.id === id);
    let list = rows.filter(filter);
    for (const name of ["after", "before"]) {
      if (!query.has(name)) continue;
      const at = position(Number(query.get(name)));
      if (at < 0) {
        const error = new Error("no such annotation");
        Object.assign(error, { status: 400, data: { errors: { [name]: ["There is no annotation with this id."] } } });
        throw error;
      }
      list = name === "after" ? list.filter((row) => position(row.id) > at) : list.filter((row) => position(row.id) < at).reverse();
    }
    // As the server counts: only when asked, up to the limit asked for.
    const limit = query.has("count") ? Number(query.get("count")) : null;
    const count = limit === null ? null : Math.min(list.length, limit);
    const exact = limit === null ? null : list.length <= limit;
    return { count, count_exact: exact, more: list.length > size, next: list.length > size ? "more" : null, results: list.slice(0, size) };
  };
  return { fetchJson, requests };
}

const rows = (count) => Array.from({ length: count }, (_, index) => ({ id: index + 1 }));

test("starts from the beginning and walks to the end page by page", async () => {
  const api = fakeApi(rows(7));
  const queue = new VerifyQueue({ fetchJson: api.fetchJson, listUrl: "/a/", pageSize: 3 });
  queue.setFilters({ image_set: 4, annotation_type: 2, not_voted_by_me: true, not_mine: false });
  assert.equal((await queue.start()).id, 1);
  assert.equal(api.requests[0].image_set, "4");
  assert.equal(api.requests[0].not_voted_by_me, "true");
  assert.ok(!("not_mine" in api.requests[0]), "false filters are left out");
  const seen = [1];
  for (let entry = await queue.next(); entry; entry = await queue.next()) seen.push(entry.id);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(queue.current.id, 7, "stays on the last one at the end");
  assert.equal(queue.remaining(), 0);
  assert.equal(await queue.previous().then((entry) => entry.id), 6);
});

test("starts at a given annotation with the ones before and after it", async () => {
  const api = fakeApi(rows(20));
  const queue = new VerifyQueue({ fetchJson: api.fetchJson, listUrl: "/a/", pageSize: 4 });
  await queue.start({ id: 10 });
  assert.equal(queue.current.id, 10);
  assert.deepEqual(queue.entries.map((entry) => entry.id), [6, 7, 8, 9, 10, 11, 12, 13, 14]);
  assert.equal(queue.remaining(), 10);
  assert.deepEqual(queue.upcoming(2).map((entry) => entry.id), [11, 12]);
  const back = [];
  for (let entry = await queue.previous(); entry; entry = await queue.previous()) back.push(entry.id);
  assert.deepEqual(back, [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(queue.current.id, 1);
});

test("annotations voted meanwhile leave the server's list, and paging by keyset skips none", async () => {
  const voted = new Set();
  const data = rows(9);
  const api = fakeApi(data, { filter: (row) => !voted.has(row.id) });
  const queue = new VerifyQueue({ fetchJson: api.fetchJson, listUrl: "/a/", pageSize: 3 });
  await queue.start();
  const seen = [queue.current.id];
  voted.add(queue.current.id);
  for (let entry = await queue.next(); entry; entry = await queue.next()) {
    seen.push(entry.id);
    voted.add(entry.id); // each vote takes it out of "not voted by me"
  }
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("an anchor deleted on the server is replaced by the one before it", async () => {
  const data = rows(8);
  const api = fakeApi(data);
  const queue = new VerifyQueue({ fetchJson: api.fetchJson, listUrl: "/a/", pageSize: 3 });
  await queue.start();
  await queue.next();
  await queue.next(); // entries 1..3 loaded, maybe more by lookahead
  await Promise.all(Object.values(queue.loading).filter(Boolean));
  const last = queue.entries[queue.entries.length - 1].id;
  data.splice(data.findIndex((row) => row.id === last), 1);
  const ids = queue.entries.map((entry) => entry.id);
  for (let entry = await queue.next(); entry; entry = await queue.next()) ids.push(entry.id);
  assert.deepEqual(ids.filter((id, index) => ids.indexOf(id) === index), [1, 2, 3, 4, 5, 6, 7, 8].slice(0, ids.length));
  assert.equal(queue.current.id, 8);
});

test("an empty list has no current entry; new filters forget the loaded list", async () => {
  const api = fakeApi([]);
  const queue = new VerifyQueue({ fetchJson: api.fetchJson, listUrl: "/a/" });
  assert.equal(await queue.start(), null);
  assert.equal(await queue.next(), null);
  assert.equal(await queue.previous(), null);
  queue.setFilters({ annotation_type: 3 });
  assert.deepEqual(queue.entries, []);
  assert.equal(queue.current, null);
});

test("asks the server to count what remains up to a limit, and says when it stopped counting", async () => {
  const api = fakeApi(rows(30));
  const queue = new VerifyQueue({ fetchJson: api.fetchJson, listUrl: "/a/", pageSize: 4 });
  await queue.start();
  assert.equal(api.requests[0].count, String(COUNT_UP_TO));
  assert.equal(queue.remaining(), 29);
  assert.equal(queue.remainingIsExact(), true);

  const many = fakeApi(rows(COUNT_UP_TO + 30));
  const long = new VerifyQueue({ fetchJson: many.fetchJson, listUrl: "/a/", pageSize: 4 });
  await long.start();
  assert.equal(long.remaining(), COUNT_UP_TO - 1, "at least this many: the server stopped counting");
  assert.equal(long.remainingIsExact(), false);
});
