// The annotate page (/annotations/<image_id>/): wires the canvas code to the page with jQuery.
//
//   geometry.js  coordinates, vectors, hit tests      draw.js     rendering
//   tools.js     the drawing state machine            history.js  undo/redo per image
//   outbox.js    stored, retried, idempotent saves    imagelist.js the paged image list
//
// The page itself is split by concern under annotate/:
//   page.js        config, state, editor, helpers     records.js   records and their queued changes
//   api.js         outbox, caches, image list         dialogs.js   conflict and shortcuts dialogs
//   navigation.js  opening images, the image list     canvasview.js drawing, zoom, pointer input
//   typepicker.js  type, flags, coordinates           labellist.js the annotation list
//   editing.js     save, delete, undo, keep selection keyboard.js  the shortcuts
//   legend.js      colour legend, number keys         tags.js      the image's tags (toggle buttons)
//   attrpanel.js   the attributes panel of the selected label (attrform.js checks the values)
//   viewtools.js   fill, image filters, rotation, full screen, minimap (viewmath.js: their maths)
//   arrange.js     snapping (snapping.js), z-order, duplicate, several labels at once, Tab through labels
//   layout.js      the workspace at every size: collapsible image list, drawers, the phone's bottom bar
//   labellist.js   the object panel (labels by type; hide, lock, hover)   proposal.js a kept selection
//   overlays.js    hover and proposal drawn over the scene                 toasts.js   "Undo" notices
//   assist.js      one-click shapes: outline a box, magic wand (server or model backend), unsaved
//
// Nothing is shown as saved before the server confirmed it: every change goes through the outbox,
// which keeps it in localStorage until then (and sends it again after a failure or a reload).
// For tests and the verification page, ``window.annotatePage`` exposes the live state.

import { imageToScreen } from "./geometry.js";
import { keepOutboxAlive } from "./keepalive.js";
import { annotationCache, imageList, images, outbox, renderSaveStatus } from "./annotate/api.js";
import { drawNow, interacting, resizeCanvas, shapeLayer } from "./annotate/canvasview.js";
import { showNextConflict } from "./annotate/dialogs.js";
import "./annotate/keyboard.js";
import "./annotate/viewtools.js";
import "./annotate/arrange.js";
import "./annotate/layout.js";
import { startEditing } from "./annotate/labellist.js";
import { renderLegend } from "./annotate/legend.js";
import { openImage } from "./annotate/navigation.js";
import { canvas, config, editor, isInteractive, isVisible, showMessage, state, typeById, types } from "./annotate/page.js";
import { onTypeChanged } from "./annotate/typepicker.js";

const $ = window.jQuery;

// --- never lose work ----------------------------------------------------------------------------------

keepOutboxAlive(outbox);

// --- start --------------------------------------------------------------------------------------------

async function start() {
  $("#annotation-type").val(String(config.mainType ?? types[0]?.id ?? ""));
  const params = new URLSearchParams(window.location.search);
  const filter = params.get("filter");
  if (filter && typeById.has(Number(filter))) {
    $("#image-filter").val(filter);
    imageList.setFilter(Number(filter));
  }
  renderLegend();
  onTypeChanged();
  outbox.adoptOrphans();
  renderSaveStatus();
  resizeCanvas();
  await openImage(config.image, { mode: "replace" });
  const edit = Number(params.get("edit"));
  if (edit) {
    const record = [...state.records.values()].find((candidate) => candidate.id === edit);
    if (record) startEditing(record.uuid);
    else showMessage(`Annotation ${edit} is not on this image.`, "warning");
  }
  outbox.flush();
  if (outbox.conflicts().length) showNextConflict();
}

window.annotatePage = {
  state,
  editor,
  outbox,
  imageList,
  isVisible, // a label is drawn (neither it nor its type hidden)
  isInteractive, // a label may be hit on the canvas (drawn and not locked)
  get view() {
    return state.view;
  },
  /** How often the shape layer was rendered (a filter or a pan within its margin must not add any). */
  get layerRenders() {
    return shapeLayer.renders;
  },
  get canvasRect() {
    const rect = canvas.getBoundingClientRect();
    return { left: rect.left, top: rect.top, width: rect.width, height: rect.height };
  },
  imageToClient(x, y) {
    const rect = canvas.getBoundingClientRect();
    const screen = imageToScreen(state.view, { x, y }); // rotated views too
    return { x: rect.left + screen.x, y: rect.top + screen.y };
  },
  /** Forget the preloaded images and annotations (for the benchmark's cold switches). */
  dropCaches() {
    images.clear();
    annotationCache.clear();
  },
  /** Ids of the images fetched and decoded ahead (and the current one). */
  decodedImages() {
    return images.decodedIds();
  },
  /** Show ``view`` at once, as one step of a pan or zoom. */
  setView(view) {
    state.view = { ...view };
    state.fitted = false;
    interacting();
    drawNow();
  },
  /** Draw at once as after a gesture (the shape layer rendered for the current view). */
  drawSettled() {
    state.interacting = false;
    drawNow();
  },
};

start();
