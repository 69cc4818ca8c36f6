// The annotate page's shared state: the page config, permissions, the types, the canvas elements,
// ``state`` (see annotate.js), the shape editor and the undo history book, and small helpers.
// A leaf: it imports no other module of the page, so that every module may use its constants.

import { showAlert } from "../../../base/js/site.js";
import { VECTOR_TYPE, vectorToPoints } from "../geometry.js";
import { HistoryBook } from "../history.js";
import { ShapeEditor } from "../tools.js";

export const $ = window.jQuery;
export const config = JSON.parse(document.getElementById("annotate-config").textContent);
export const perms = new Set(config.permissions);
export const canAnnotate = perms.has("annotate");
export const canEdit = perms.has("edit_annotation");
export const canDelete = perms.has("delete_annotation");
export const types = config.types;
export const typeById = new Map(types.map((type) => [type.id, type]));
export const ROW_HEIGHT = 28;
export const CACHE_TTL_MS = 60_000;
export const ZOOM_STEP = 1.25;

export const canvas = document.getElementById("annotate-canvas");
export const wrap = document.getElementById("canvas-wrap");


export const state = {
  image: config.image,
  index: 0,
  present: true,
  bitmap: null,
  records: new Map(), // uuid -> record (see recordFrom)
  view: { scale: 1, x: 0, y: 0 },
  fitted: true,
  size: { width: 1, height: 1 },
  cursor: null,
  highlight: null, // uuid of a record to highlight (e.g. the similar one of a 409)
  niiEdit: null, // uuid of a "not in image" record being edited
  keep: null, // {typeId, points|null} carried to the next image
  navigation: 0,
  panning: null,
  pinching: false, // two fingers zoom and pan the view (canvasview.js)
  spaceDown: false,
  shapesDirty: true,
  shapes: [],
  layerVersion: 0,
  interacting: false,
  conflictShown: null,
  draft: null, // {typeId, values}: the attributes the next new label gets (attrpanel.js)
  tagEdit: null, // uuid of the tag whose attributes the panel shows
  attributeErrors: null, // {key, values, fields, general}: a refusal shown in the attributes panel
  hidden: new Set(), // uuids of labels hidden in the object panel (not drawn, not hit-testable)
  locked: new Set(), // uuids of locked labels (drawn, but not selectable, editable or movable on the canvas)
  hiddenTypes: new Set(), // type ids hidden from the legend or the object panel's group header
  hover: null, // uuid of the label under the pointer (canvas) or the mouse (object panel)
  proposal: null, // {typeId, points|null, concealed, blurred}: a kept selection shown dashed, not saved
  // View tools (viewtools.js, arrange.js): per browser session, never saved on the server.
  look: null, // {fill, outline, brightness, contrast, saturation, snap}: the display settings (sessionStorage)
  fillAlpha: undefined, // opacity of the label fills (0: outlines only); undefined = draw.js's default
  imageFilter: "none", // CSS filter of the image only (brightness, contrast, saturation)
  filteredImage: null, // {source, filter, image}: the image with imageFilter applied once (viewtools.js)
  snap: true, // snap to vertices of other labels and to the image edges (Alt held: off)
  zOrder: new Map(), // uuid -> z (bring to front > 0, send to back < 0) for this page session only
  group: new Set(), // uuids of the labels selected together (Shift+click), moved together
  groupDrag: null, // {start, from: Map uuid -> points, moved: Map uuid -> points} while dragging them
};

/** Whether a label is drawn: neither it nor its type is hidden. */
export function isVisible(record) {
  return Boolean(record) && !state.hidden.has(record.uuid) && !state.hiddenTypes.has(record.typeId);
}

/** Whether a label may be hit on the canvas (selected, edited, moved): drawn and not locked. */
export function isInteractive(record) {
  return isVisible(record) && !state.locked.has(record.uuid);
}

export const editor = new ShapeEditor({
  vectorType: VECTOR_TYPE.BOX,
  nodeCount: 0,
  imageWidth: state.image.width,
  imageHeight: state.image.height,
});
export const book = new HistoryBook();
state.history = book.forImage(state.image.id);

// --- small helpers -------------------------------------------------------------------------------

export function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function currentType() {
  const id = Number($("#annotation-type").val());
  return typeById.get(id) || null;
}

export function showMessage(text, kind = "info") {
  return showAlert(document.getElementById("annotate-messages"), text, kind);
}

/** Every vertex of ``vector`` (what ``describeVector`` shortens), e.g. for a tooltip. */
export function wholeVector(vector) {
  if (vector === null || vector === undefined) return "not in image";
  return vectorToPoints(vector)
    .map((p) => `(${p.x}, ${p.y})`)
    .join(" ");
}

export function describeVector(vector) {
  if (vector === null || vector === undefined) return "not in image";
  const points = vectorToPoints(vector);
  const shown = points.slice(0, 3).map((p) => `(${p.x}, ${p.y})`);
  return shown.join(" ") + (points.length > 3 ? ` … ${points.length} points` : "");
}

