// How an outbox op (outbox.js) becomes a request to the REST API; shared by the annotate and the
// verification pages, so that both send (and resend) changes the same way (no DOM but fetch).
//
//   requestFor(op, {annotationsUrl, id, version}) -> {url, method, body} | null (never saved: no id)
//   sendOp(op, {annotationsUrl, lookup, csrfToken, fetch}) -> {status, data}
//
// Ops: create (POST with the op's uuid, so that a resend is a replay), update (PATCH with the version
// the user saw), delete (DELETE ?version=), vote (PUT {vote} or DELETE on .../<id>/vote/; a vote is
// idempotent by nature). ``lookup(uuid)`` gives the page's current {id, version} of an annotation
// for ops queued before its create was answered.

export function requestFor(op, { annotationsUrl, id = null, version = null }) {
  if (op.kind === "create") return { url: annotationsUrl, method: "POST", body: { ...op.fields, uuid: op.uuid } };
  const pk = op.id || id;
  const seen = op.version || version;
  if (!pk) return null;
  if (op.kind === "update") return { url: `${annotationsUrl}${pk}/`, method: "PATCH", body: { ...op.fields, version: seen } };
  if (op.kind === "delete") return { url: `${annotationsUrl}${pk}/${seen ? `?version=${seen}` : ""}`, method: "DELETE" };
  if (op.kind === "vote") {
    const url = `${annotationsUrl}${pk}/vote/`;
    return op.fields.vote ? { url, method: "PUT", body: { vote: op.fields.vote } } : { url, method: "DELETE" };
  }
  throw new Error(`Unknown change: ${op.kind}`);
}

export async function sendOp(op, { annotationsUrl, lookup = () => null, csrfToken, fetch = globalThis.fetch }) {
  const known = lookup(op.uuid) || {};
  const request = requestFor(op, { annotationsUrl, id: known.id, version: known.version });
  if (!request) return { status: 404, data: { detail: "This annotation was never saved." } };
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  if (request.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(request.url, {
    method: request.method,
    headers,
    credentials: "same-origin",
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return { status: response.status, data };
}
