// The API client: the outbox that sends every change (sendop.js), the caches of loaded images
// and annotations, the image list, and fetching one annotation again.

import { apiFetch, apiFetchAll, csrfToken } from "../../../base/js/site.js";
import { ImageCache } from "../imagecache.js";
import { ImageList } from "../imagelist.js";
import { renderOutboxStatus } from "../keepalive.js";
import { Outbox } from "../outbox.js";
import { sendOp } from "../sendop.js";
import { serverErrors } from "../attrform.js";
import { showRefusal } from "./attrpanel.js";
import { showNextConflict, showSimilar } from "./dialogs.js";
import { renderAnnotationList, renderAnnotationListSoon } from "./labellist.js";
import { CACHE_TTL_MS, config, currentType, describeVector, editor, showMessage, state, typeById } from "./page.js";
import { recordFrom } from "./records.js";
import { renderCoordinates } from "./typepicker.js";
import { markDirty } from "./canvasview.js";

// --- the outbox ----------------------------------------------------------------------------------

export function sendAnnotationOp(op) {
  return sendOp(op, {
    annotationsUrl: config.urls.annotations,
    lookup: (uuid) => state.records.get(uuid),
    csrfToken,
  });
}

export const outbox = new Outbox({
  storage: window.localStorage,
  prefix: `imagetagger.outbox.${config.user}.`,
  send: sendAnnotationOp,
  onChange: renderSaveStatus,
  onSaved(op, data) {
    annotationCache.delete(op.imageId);
    const record = state.records.get(op.uuid);
    if (op.imageId === state.image.id && record && data && op.kind !== "delete") {
      const fresh = recordFrom(data);
      const stillPending = outbox.ops.some((later) => later.uuid === op.uuid);
      if (stillPending) {
        record.id = fresh.id;
        record.version = fresh.version;
      } else {
        Object.assign(record, fresh);
      }
      markDirty();
      renderAnnotationListSoon(); // after the save state: the answer is shown "saved" at once
    }
  },
  onRejected(op, status, data, dropped) {
    annotationCache.delete(op.imageId);
    const detail = (data && data.detail) || `The server answered ${status}.`;
    const onThisImage = op.imageId === state.image.id;
    let text = `Not saved: ${detail}`;
    if (status === 409 && data && data.conflicting_annotation) {
      const other = [...state.records.values()].find((record) => record.id === data.conflicting_annotation);
      if (onThisImage && other) {
        state.highlight = other.uuid;
        text += ` It is highlighted: ${typeById.get(other.typeId)?.name ?? "?"} ${describeVector(other.vector)}.`;
        showSimilar(op, other);
      }
    }
    const attributeReasons = status === 400 && data && data.attributes;
    if (attributeReasons) text = `Not saved: ${[attributeReasons].flat().join(" ")}`;
    showMessage(text, "danger");
    if (!onThisImage) return;
    if (attributeReasons || (status === 400 && op.fields && op.fields.attributes)) {
      const type = typeById.get(op.fields?.annotation_type ?? state.records.get(op.uuid)?.typeId);
      const { fields, general } = serverErrors(data, type?.attributes);
      showRefusal(op, fields, general);
    }
    if (op.kind === "create") {
      const record = state.records.get(op.uuid);
      state.records.delete(op.uuid);
      // Give the shape back as an unsaved selection, so that the drawing is not lost.
      if (record && record.points && !editor.selection && record.typeId === currentType()?.id) {
        editor.place(record.points);
        editor.takeChange();
        renderCoordinates();
      }
    } else if (op.id) {
      refreshRecord(op.uuid, op.id);
    }
    void dropped;
    markDirty();
    renderAnnotationList();
  },
  onConflict: () => showNextConflict(),
});

export function renderSaveStatus() {
  renderOutboxStatus(outbox, "All changes saved");
  for (const record of state.records.values()) {
    const pending = outbox.ops.some((op) => op.uuid === record.uuid);
    if (record.pending !== pending) {
      record.pending = pending;
      renderAnnotationListSoon();
    }
  }
}

export async function refreshRecord(uuid, id) {
  try {
    const data = await apiFetch(`${config.urls.annotations}${id}/`);
    if (data.image === state.image.id) state.records.set(uuid, recordFrom(data));
  } catch (error) {
    if (error.status === 404) state.records.delete(uuid);
  }
  markDirty();
  renderAnnotationList();
}

// --- images and annotations: loading, caching, preloading ------------------------------------------

export const images = new ImageCache();
export const annotationCache = new Map(); // id -> {time, promise}

export function loadImage(meta) {
  return images.load(meta.id, meta.url);
}

export function fetchAnnotations(imageId) {
  return apiFetchAll(`${config.urls.annotations}?image=${imageId}&page_size=500`);
}

export function loadAnnotations(imageId, { fresh = false } = {}) {
  const cached = annotationCache.get(imageId);
  if (cached && !fresh && Date.now() - cached.time < CACHE_TTL_MS) return cached.promise;
  const promise = fetchAnnotations(imageId);
  const entry = { time: Date.now(), promise };
  annotationCache.set(imageId, entry);
  promise.catch(() => {
    if (annotationCache.get(imageId) === entry) annotationCache.delete(imageId);
  });
  return promise;
}

export const imageList = new ImageList({
  fetchJson: (url) => apiFetch(url),
  imagesUrl: config.urls.images,
  positionUrl: config.urls.position,
});

