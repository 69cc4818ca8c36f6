// The verification page (/annotations/<annotation_id>/verify/): one annotation after the other, with
// the image and the other annotations of its type drawn faint around it.
//
//   verifylist.js  the list (keyset pages around the current annotation, filtered)
//   outbox.js      votes and flag changes kept in localStorage until the server has them, resent
//                  after a failure or a reload; sendop.js makes the requests
//   imagecache.js  the next images fetched and decoded ahead; draw.js draws
//
// A vote (j/k) moves on at once: it never waits for the server. For tests, ``window.verifyPage``
// exposes the live state; ``document.body.dataset.verifyAnnotation`` names the annotation drawn.

import { apiFetch, apiFetchAll, csrfToken, isTyping, showAlert } from "../../base/js/site.js";
import { drawScene, isMachineLooking, prepareCanvas } from "./draw.js";
import { fitView, panBy, vectorToPoints, zoomAt } from "./geometry.js";
import { ImageCache } from "./imagecache.js";
import { TwoFingers } from "./pinch.js";
import { keepOutboxAlive, renderOutboxStatus } from "./keepalive.js";
import { Outbox } from "./outbox.js";
import { sendOp } from "./sendop.js";
import { VerifyQueue } from "./verifylist.js";
import { summary } from "./attrform.js";
import { isTag, normalizeColor } from "./schema.js";

const $ = window.jQuery;
const config = JSON.parse(document.getElementById("verify-config").textContent);
const typeById = new Map(config.types.map((type) => [type.id, type]));
const PRELOAD_AHEAD = 5;
const PRELOAD_BEHIND = 2;
const LIST_BEFORE = 8;
const LIST_AFTER = 30;

const canvas = document.getElementById("verify-canvas");
const wrap = document.getElementById("canvas-wrap");
let ctx = canvas.getContext("2d");

const state = {
  annotation: null, // the current annotation (API object) with the queued changes applied
  bitmap: null,
  others: [], // annotations of the current image and type
  view: { scale: 1, x: 0, y: 0 },
  size: { width: 1, height: 1 },
  navigation: 0,
  moving: false,
  dragging: null,
};

// --- small helpers -------------------------------------------------------------------------------

function showMessage(text, kind = "info") {
  showAlert(document.getElementById("verify-messages"), text, kind, { keep: 3 });
}

function urlFor(template, id) {
  return template.replace(/0\/$/, `${id}/`);
}

function describe(annotation) {
  const type = annotation.annotation_type.name;
  if (annotation.vector === null) {
    const tag = isTag(typeById.get(annotation.annotation_type.id) || annotation.annotation_type);
    return `${annotation.image_name}: ${type}, ${tag ? "image tag" : "not in image"}`;
  }
  const points = vectorToPoints(annotation.vector);
  const first = points[0] ? ` (${points[0].x}, ${points[0].y})` : "";
  return `${annotation.image_name}: ${type}${first}${points.length > 1 ? ` … ${points.length} points` : ""}`;
}

/** Everything ``describe`` shortens: every vertex (the list's tooltip and its "Whole entries" view). */
function describeWhole(annotation) {
  if (annotation.vector === null) return describe(annotation);
  const points = vectorToPoints(annotation.vector).map((point) => `(${point.x}, ${point.y})`);
  return `${annotation.image_name}: ${annotation.annotation_type.name} ${points.join(" ")}`;
}

/** ``annotation`` with the vote and flags the user queued but the server has not confirmed yet. */
function withQueued(annotation) {
  if (!annotation) return annotation;
  let result = annotation;
  for (const op of outbox.ops) {
    if (op.uuid !== annotation.uuid) continue;
    if (op.kind === "vote") result = { ...result, my_vote: op.fields.vote };
    if (op.kind === "update") {
      result = { ...result };
      if ("concealed" in op.fields) result.concealed_flag = op.fields.concealed;
      if ("blurred" in op.fields) result.blurred_flag = op.fields.blurred;
    }
  }
  return result;
}

// --- the outbox: votes and flags ----------------------------------------------------------------------

const outbox = new Outbox({
  storage: window.localStorage,
  prefix: `imagetagger.verify.${config.user}.`,
  send: (op) => sendOp(op, { annotationsUrl: config.urls.annotations, csrfToken }),
  onChange: renderSaveStatus,
  onSaved(op, data) {
    if (!data) return;
    const entry = queue.entries.find((candidate) => candidate.uuid === op.uuid);
    if (!entry) return;
    if (op.kind === "vote") {
      Object.assign(entry, { my_vote: data.vote, accepts: data.accepts, rejects: data.rejects, score: data.score });
    } else if (op.kind === "update" && data.id) {
      queue.replace(data);
      neighbours.delete(data.image);
    }
    renderCurrent();
  },
  onRejected(op, status, data) {
    const detail = (data && data.detail) || `The server answered ${status}.`;
    const what = op.kind === "vote" ? "Your vote" : "Your change";
    showMessage(`${what} on annotation ${op.id} was not saved: ${detail}`, "danger");
    renderCurrent();
  },
  onConflict(op) {
    // Only flag changes are sent as updates here: they are applied on top of the newer version (a
    // PATCH of the two flags leaves the other person's change alone). Later, outside the send loop.
    setTimeout(() => outbox.resolve(op.opId, "mine"), 0);
  },
});

function renderSaveStatus() {
  renderOutboxStatus(outbox, "All votes saved");
}

// --- loading: the list, images and the annotations around the current one -----------------------------

const queue = new VerifyQueue({ fetchJson: (url) => apiFetch(url), listUrl: config.urls.annotations });
const images = new ImageCache();
const neighbours = new Map(); // image id -> Promise<[annotation]> of the current type filter

function loadImage(annotation) {
  return images.load(annotation.image, urlFor(config.urls.image, annotation.image));
}

function fetchNeighbours(imageId) {
  return apiFetchAll(`${config.urls.annotations}?image=${imageId}&page_size=500`);
}

function loadNeighbours(imageId) {
  let promise = neighbours.get(imageId);
  if (!promise) {
    promise = fetchNeighbours(imageId);
    neighbours.set(imageId, promise);
    promise.catch(() => neighbours.delete(imageId));
  }
  return promise;
}

function preload() {
  const around = [...queue.upcoming(PRELOAD_AHEAD), ...queue.entries.slice(Math.max(0, queue.index - PRELOAD_BEHIND), queue.index)];
  const keep = new Set(state.annotation ? [state.annotation.image] : []);
  for (const annotation of around) {
    keep.add(annotation.image);
    loadImage(annotation).catch(() => {});
    loadNeighbours(annotation.image).catch(() => {});
  }
  images.keepOnly(keep);
  for (const id of [...neighbours.keys()]) if (!keep.has(id)) neighbours.delete(id);
}

function filters() {
  const type = $("#type-filter").val();
  return {
    image_set: config.imageSet.id,
    annotation_type: type === "all" ? null : Number(type),
    not_voted_by_me: $("#unvoted-only").prop("checked"),
    not_mine: $("#unvoted-only").prop("checked"),
    order: $("#order-filter").val() === "confidence" ? "confidence" : null,
    model_name: $("#model-filter").val() || null,
  };
}

/** The models that pre-labelled this set (from its pre-label jobs), as choices of the model filter. */
async function loadModels() {
  const $select = $("#model-filter");
  try {
    const body = await apiFetch($select.data("jobsUrl"));
    const names = [...new Set(body.results.map((job) => job.model_name))].sort();
    for (const name of names) $select.append($("<option>").val(name).text(name));
    const wanted = new URLSearchParams(window.location.search).get("model");
    if (wanted && names.includes(wanted)) $select.val(wanted);
  } catch (error) {
    // Without the list, "All models" still works.
  }
}

function pageUrl(annotationId) {
  const query = new URLSearchParams();
  const type = $("#type-filter").val();
  if (type) query.set("type", type);
  if (!$("#unvoted-only").prop("checked")) query.set("all", "1");
  if ($("#order-filter").val() === "confidence") query.set("order", "confidence");
  if ($("#model-filter").val()) query.set("model", $("#model-filter").val());
  return `${config.urls.verify.replace("/0/verify/", `/${annotationId}/verify/`)}?${query}`;
}

// --- showing one annotation ---------------------------------------------------------------------------

/** Show the queue's current annotation (``mode``: "push", "replace" or "none" for popstate). */
async function showCurrent(mode = "push") {
  const navigation = ++state.navigation;
  const annotation = queue.current;
  renderList();
  if (!annotation) {
    state.bitmap = null;
    $("#verify-empty").prop("hidden", false);
    renderCurrent();
    drawNow();
    delete document.body.dataset.verifyAnnotation;
    return;
  }
  $("#verify-empty").prop("hidden", true);
  renderCurrent(); // sets state.annotation: the current one with the queued vote and flags
  if (!state.others.length || state.others[0].image !== annotation.image) $("#image-tags").text("…");
  if (mode === "push") window.history.pushState({ annotation: annotation.id }, "", pageUrl(annotation.id));
  else if (mode === "replace") window.history.replaceState({ annotation: annotation.id }, "", pageUrl(annotation.id));
  const loading = setTimeout(() => $("#canvas-loading").prop("hidden", false), 150);
  let bitmap;
  let others;
  try {
    [bitmap, others] = await Promise.all([loadImage(annotation), loadNeighbours(annotation.image)]);
  } catch (error) {
    if (navigation === state.navigation) showMessage(`Could not load the image: ${error.message || "network error"}`, "danger");
    return;
  } finally {
    clearTimeout(loading);
    if (navigation === state.navigation) $("#canvas-loading").prop("hidden", true);
  }
  if (navigation !== state.navigation) return;
  state.bitmap = bitmap;
  state.others = others;
  renderImageTags();
  state.view = fitView(annotation.image_width, annotation.image_height, state.size.width, state.size.height, 8);
  drawNow();
  document.body.dataset.verifyAnnotation = String(annotation.id);
  preload();
}

function renderCurrent() {
  const annotation = queue.current ? withQueued(queue.current) : null;
  state.annotation = annotation;
  const has = Boolean(annotation);
  $("#accept-button, #reject-button, #edit-button").toggleClass("disabled", !has).prop("disabled", !has);
  if (!has) {
    $("#annotation-id").text("");
    $("#annotation-type, #annotation-creator, #annotation-score, #my-vote, #annotation-attributes, #image-tags").text("–");
    $("#annotation-type-swatch").css("background-color", "transparent");
    $("#image-link").text("–").attr("href", "#");
    $("#annotation-badges").empty();
    $("#concealed, #blurred").prop({ checked: false, disabled: true });
    renderRemaining();
    return;
  }
  const type = typeById.get(annotation.annotation_type.id);
  $("#annotation-id").text(`#${annotation.id}`);
  $("#annotation-type").text(annotation.annotation_type.name);
  $("#annotation-type-swatch").css("background-color", colorOf(annotation.annotation_type));
  renderAttributes(annotation, type);
  $("#image-link")
    .text(annotation.image_name)
    .attr("href", urlFor(config.urls.annotate, annotation.image));
  $("#annotation-creator").text(annotation.creator);
  $("#annotation-score").text(`${annotation.score} (${annotation.accepts} accepted, ${annotation.rejects} rejected)`);
  const vote = annotation.my_vote;
  $("#my-vote").text(vote === "accept" ? "accepted" : vote === "reject" ? "rejected" : "none yet");
  const $badges = $("#annotation-badges").empty();
  const tag = isTag(type || annotation.annotation_type);
  if (annotation.vector === null) $badges.append($("<span>", { class: "badge text-bg-dark me-1" }).text(tag ? "Image tag" : "Not in image"));
  if (annotation.origin === "machine") {
    const confidence = annotation.confidence === null ? "" : ` ${Math.round(annotation.confidence * 100)} %`;
    $badges.append($("<span>", { class: "badge text-bg-info me-1", id: "machine-badge" }).text(`Machine: ${annotation.model_name || "model"}${confidence}`));
  }
  if (annotation.concealed_flag) $badges.append($("<span>", { class: "badge text-bg-warning me-1" }).text("Concealed"));
  if (annotation.blurred_flag) $badges.append($("<span>", { class: "badge text-bg-primary me-1" }).text("Blurred"));
  if (vote) $badges.append($("<span>", { class: "badge text-bg-secondary me-1" }).text("You voted on this one already"));
  const editable = annotation.permissions.includes("edit_annotation") && annotation.vector !== null;
  $("#concealed").prop({ checked: annotation.concealed_flag, disabled: !editable || !(type && type.enableConcealed !== false) });
  $("#blurred").prop({ checked: annotation.blurred_flag, disabled: !editable || !(type && type.enableBlurred !== false) });
  $("#edit-button")
    .attr("href", `${urlFor(config.urls.annotate, annotation.image)}?edit=${annotation.id}`)
    .toggleClass("disabled", !annotation.permissions.includes("edit_annotation"));
  renderRemaining();
  scheduleDraw();
}

/** The attribute values of the annotation as a list, in the order its type defines them. */
function renderAttributes(annotation, type) {
  const definitions = type?.attributes || [];
  const values = annotation.attributes || {};
  const text = summary(values, definitions);
  const $dd = $("#annotation-attributes").empty();
  if (!text) {
    $dd.text(definitions.length ? "none set" : "–");
    return;
  }
  const $list = $("<ul>", { class: "list-unstyled mb-0 attribute-list" });
  for (const part of text.split(", ")) $list.append($("<li>").text(part));
  $dd.append($list);
}

/** The tags of the current image (from its annotations, loaded with the image). */
function renderImageTags() {
  const $dd = $("#image-tags").empty();
  const tags = state.others.filter((other) => isTag(typeById.get(other.annotation_type.id) || other.annotation_type));
  if (!tags.length) {
    $dd.text("none");
    return;
  }
  for (const tag of tags) {
    const type = typeById.get(tag.annotation_type.id);
    const values = summary(tag.attributes || {}, type?.attributes);
    const $chip = $("<span>", { class: "badge image-tag me-1 mb-1", title: values || tag.annotation_type.name }).css(
      "--tag-color",
      colorOf(tag.annotation_type),
    );
    $chip.text(values ? `${tag.annotation_type.name} (${values})` : tag.annotation_type.name);
    $dd.append($chip);
  }
}

function renderRemaining() {
  const remaining = queue.remaining();
  $("#verify-remaining").text(
    queue.current
      ? remaining === null
        ? ""
        : `${remaining}${queue.remainingIsExact() ? "" : "+"} more after this one`
      : "No annotations to verify!",
  );
}

function renderList() {
  const $list = $("#verify-list").empty();
  const from = Math.max(0, queue.index - LIST_BEFORE);
  queue.entries.slice(from, queue.index + LIST_AFTER).forEach((entry, offset) => {
    const position = from + offset;
    const shown = withQueued(entry);
    const $item = $("<button>", {
      type: "button",
      class: `list-group-item list-group-item-action${position === queue.index ? " active" : ""}`,
      "data-annotation": entry.id,
      title: describeWhole(entry),
    }).text(wholeEntries() ? describeWhole(entry) : describe(entry));
    if (position === queue.index) $item.attr("aria-current", "true");
    if (shown.my_vote) $item.prepend($("<i>", { class: `bi bi-hand-thumbs-${shown.my_vote === "accept" ? "up" : "down"} me-1`, "aria-label": `${shown.my_vote}ed` }));
    $item.on("click", () => jumpTo(position));
    $list.append($item);
  });
  const active = $list.find(".active")[0];
  if (active) active.scrollIntoView({ block: "center" });
}

// --- drawing --------------------------------------------------------------------------------------------

let frame = null;

function scheduleDraw() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = null;
    drawNow();
  });
}

function shapes() {
  const current = state.annotation;
  if (!current) return [];
  const result = [];
  for (const other of state.others) {
    if (other.id === current.id || other.annotation_type.id !== current.annotation_type.id || other.vector === null) continue;
    result.push(shapeOf(other, { dimmed: true }));
  }
  if (current.vector !== null) result.push(shapeOf(current, { current: true }));
  return result;
}

function colorOf(annotationType) {
  return normalizeColor(typeById.get(annotationType.id)?.color ?? annotationType.color);
}

function shapeOf(annotation, extra) {
  const type = typeById.get(annotation.annotation_type.id);
  return {
    id: annotation.id,
    color: colorOf(annotation.annotation_type),
    vectorType: annotation.annotation_type.vector_type,
    points: vectorToPoints(annotation.vector),
    concealed: annotation.concealed_flag && (!type || type.enableConcealed !== false),
    blurred: annotation.blurred_flag && (!type || type.enableBlurred !== false),
    machine: isMachineLooking(annotation),
    ...extra,
  };
}

function drawNow() {
  const current = state.annotation;
  drawScene(ctx, {
    view: state.view,
    width: state.size.width,
    height: state.size.height,
    image: current ? state.bitmap : null,
    imageWidth: current ? current.image_width : 0,
    imageHeight: current ? current.image_height : 0,
    shapes: shapes(),
    selection: null,
    cursor: null,
  });
}

function resizeCanvas() {
  const width = Math.max(1, Math.floor(wrap.clientWidth));
  const height = Math.max(1, Math.floor(wrap.clientHeight));
  if (width === state.size.width && height === state.size.height) return;
  state.size = { width, height };
  ctx = prepareCanvas(canvas, width, height);
  if (state.annotation) state.view = fitView(state.annotation.image_width, state.annotation.image_height, width, height, 8);
  drawNow();
}

new ResizeObserver(resizeCanvas).observe(wrap);

// Zoom (wheel, +/−, Home fits) and pan (drag): for a closer look; each annotation opens fitted.
const ZOOM_STEP = 1.25;

function fit() {
  if (state.annotation) {
    state.view = fitView(state.annotation.image_width, state.annotation.image_height, state.size.width, state.size.height, 8);
  }
  scheduleDraw();
}

function zoomBy(factor, point = { x: state.size.width / 2, y: state.size.height / 2 }) {
  state.view = zoomAt(state.view, factor, point);
  scheduleDraw();
}

canvas.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const factor = Math.pow(1.0015, -event.deltaY * (event.deltaMode === 1 ? 33 : 1));
    zoomBy(factor, { x: event.clientX - rect.left, y: event.clientY - rect.top });
  },
  { passive: false },
);
// One finger (or the mouse) drags the image; two fingers pinch to zoom and pan.
const fingers = new TwoFingers();

function canvasPoint(event) {
  const rect = canvas.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
}

canvas.addEventListener("pointerdown", (event) => {
  canvas.setPointerCapture(event.pointerId);
  if (event.pointerType === "touch" && (fingers.down(event.pointerId, canvasPoint(event), state.view) || fingers.active)) {
    state.dragging = null;
    return;
  }
  state.dragging = { x: event.clientX, y: event.clientY };
});
canvas.addEventListener("pointermove", (event) => {
  if (event.pointerType === "touch") {
    const view = fingers.move(event.pointerId, canvasPoint(event));
    if (view) {
      state.view = view;
      scheduleDraw();
    }
    if (fingers.active) return;
  }
  if (!state.dragging) return;
  state.view = panBy(state.view, event.clientX - state.dragging.x, event.clientY - state.dragging.y);
  state.dragging = { x: event.clientX, y: event.clientY };
  scheduleDraw();
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, (event) => {
    if (event.pointerType === "touch") fingers.up(event.pointerId);
    state.dragging = null;
  });
}

// --- actions --------------------------------------------------------------------------------------------

async function move(direction) {
  if (state.moving) return; // the list is loading its next page: the key waits for nothing
  state.moving = true;
  let moved;
  try {
    moved = direction > 0 ? await queue.next() : await queue.previous();
  } catch (error) {
    showMessage(`Could not load more annotations: ${error.message}`, "danger");
    return;
  } finally {
    state.moving = false;
  }
  if (!moved) {
    showMessage("There are no more annotations in the list.", "info");
    renderRemaining();
    return;
  }
  await showCurrent();
}

async function jumpTo(position) {
  if (position < 0 || position >= queue.entries.length) return;
  queue.index = position;
  await showCurrent();
}

function vote(value) {
  const annotation = state.annotation;
  if (!annotation || state.moving) return;
  if (!annotation.permissions.includes("vote")) {
    showMessage(
      annotation.permissions.includes("verify") ? "You cannot vote on your own annotation." : "You may not verify this annotation.",
      "warning",
    );
    return;
  }
  outbox.enqueue({ kind: "vote", uuid: annotation.uuid, imageId: annotation.image, id: annotation.id, fields: { vote: value } });
  move(+1);
}

function toggleFlag(name) {
  const annotation = state.annotation;
  const $box = $(`#${name}`);
  if (!annotation || $box.prop("disabled")) return;
  const flags = { concealed: annotation.concealed_flag, blurred: annotation.blurred_flag };
  flags[name] = !flags[name];
  outbox.enqueue({
    kind: "update",
    uuid: annotation.uuid,
    imageId: annotation.image,
    id: annotation.id,
    version: annotation.version,
    fields: flags,
  });
  renderCurrent();
  renderList();
}

function edit() {
  const annotation = state.annotation;
  if (!annotation || !annotation.permissions.includes("edit_annotation")) return;
  window.location.assign($("#edit-button").attr("href"));
}

$("#accept-button").on("click", () => vote("accept"));
$("#reject-button").on("click", () => vote("reject"));
$("#next-button").on("click", () => move(+1));
$("#previous-button").on("click", () => move(-1));
$("#concealed").on("click", (event) => {
  event.preventDefault();
  toggleFlag("concealed");
});
$("#blurred").on("click", (event) => {
  event.preventDefault();
  toggleFlag("blurred");
});
$("#shortcuts-button").on("click", () => window.bootstrap.Modal.getOrCreateInstance(document.getElementById("shortcuts-dialog")).toggle());

async function restart({ anchor = state.annotation } = {}) {
  queue.setFilters(filters());
  const type = $("#type-filter").val();
  const fits = anchor && (type === "all" || Number(type) === anchor.annotation_type.id);
  try {
    await queue.start(fits ? anchor : null);
  } catch (error) {
    showMessage(`Could not load the annotations: ${error.message}`, "danger");
    return;
  }
  neighbours.clear();
  await showCurrent("replace");
}

$("#type-filter, #unvoted-only").on("change", () => restart());
// Another order or model: the queue starts from its beginning (the least sure label first).
function wholeEntries() {
  return $("#whole-entries").prop("checked");
}

$("#whole-entries").on("change", function onWhole() {
  $("#verify-list").toggleClass("whole", this.checked);
  renderList();
});
$("#order-filter, #model-filter").on("change", () => restart({ anchor: null }));
$("#filter-refresh").on("click", () => restart());

document.addEventListener("keydown", (event) => {
  if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector(".modal.show") && event.key !== "?") return;
  const actions = {
    j: () => vote("accept"),
    k: () => vote("reject"),
    d: () => move(+1),
    s: () => move(-1),
    e: () => edit(),
    c: () => toggleFlag("concealed"),
    b: () => toggleFlag("blurred"),
    "?": () => $("#shortcuts-button").trigger("click"),
    "+": () => zoomBy(ZOOM_STEP),
    "=": () => zoomBy(ZOOM_STEP),
    "-": () => zoomBy(1 / ZOOM_STEP),
    Home: () => fit(),
  };
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

window.addEventListener("popstate", async (event) => {
  const id = event.state && event.state.annotation;
  if (!id) return;
  const position = queue.entries.findIndex((entry) => entry.id === id);
  if (position >= 0) {
    queue.index = position;
    await showCurrent("none");
    return;
  }
  try {
    await queue.start(await apiFetch(`${config.urls.annotations}${id}/`));
  } catch (error) {
    showMessage(`Could not load annotation ${id}: ${error.message}`, "danger");
    return;
  }
  await showCurrent("none");
});

// --- never lose a vote ----------------------------------------------------------------------------------

keepOutboxAlive(outbox);

// --- start ----------------------------------------------------------------------------------------------

async function start() {
  $("#type-filter").val(config.type === null ? "all" : String(config.type));
  $("#unvoted-only").prop("checked", config.unvotedOnly);
  if (new URLSearchParams(window.location.search).get("order") === "confidence") $("#order-filter").val("confidence");
  await loadModels();
  outbox.adoptOrphans();
  renderSaveStatus();
  resizeCanvas();
  await restart({ anchor: config.annotation });
  outbox.flush();
}

window.verifyPage = {
  state,
  queue,
  outbox,
  get view() {
    return state.view;
  },
  /** The shapes drawn now (the current one has ``current: true``). */
  shapes: () => shapes(),
  decodedImages: () => images.decodedIds(),
};

start();
