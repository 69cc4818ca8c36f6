// Moving between images: opening an image (with its annotations), next/previous, the browser
// history, preloading the neighbours, the virtualized image list and its "missing type" filter.

import { apiFetch } from "../../../base/js/site.js";
import { preloadWindow } from "../imagelist.js";
import { errorSentence } from "../keepalive.js";
import { annotationCache, imageList, images, loadAnnotations, loadImage } from "./api.js";
import { drawNow, fitToCanvas, markDirty } from "./canvasview.js";
import { applyKeptSelection } from "./editing.js";
import { renderAnnotationList } from "./labellist.js";
import { ROW_HEIGHT, book, config, currentType, editor, showMessage, state } from "./page.js";
import { dropProposal } from "./proposal.js";
import { buildRecords } from "./records.js";
import { closeImageToasts } from "./toasts.js";
import { onTypeChanged, renderCoordinates, renderUndoButtons } from "./typepicker.js";

const $ = window.jQuery;

export async function preloadAround() {
  const navigation = state.navigation;
  const count = imageList.count || 0;
  const wanted = preloadWindow(state.index, state.present, count);
  const keep = new Set([state.image.id]);
  for (const index of wanted) {
    let meta;
    try {
      meta = await imageList.ensure(index);
    } catch {
      return;
    }
    if (navigation !== state.navigation) return;
    if (!meta) continue;
    keep.add(meta.id);
    loadImage(meta).catch(() => {});
    loadAnnotations(meta.id).catch(() => {});
  }
  images.keepOnly(keep);
  for (const id of annotationCache.keys()) if (!keep.has(id)) annotationCache.delete(id);
}

// --- navigation ------------------------------------------------------------------------------------

export function pageUrl(imageId) {
  const url = new URL(config.urls.annotate.replace(/0\/$/, `${imageId}/`), window.location.origin);
  const filter = $("#image-filter").val();
  if (filter) url.searchParams.set("filter", filter);
  return url.pathname + url.search;
}

/** Show ``meta`` (an image of the list at ``index``); ``mode``: "push", "replace" or "none" (popstate). */
export async function openImage(meta, { index = null, present = true, mode = "push" } = {}) {
  const navigation = ++state.navigation;
  const leaving = state.image.id;
  if (meta.id !== leaving) {
    editor.clear();
    state.niiEdit = null;
    state.highlight = null;
    state.tagEdit = null;
    state.attributeErrors = null;
    state.hover = null;
    dropProposal(); // moving on drops a proposal that was not saved
    closeImageToasts();
  }
  state.image = meta;
  if (index !== null) {
    state.index = index;
    state.present = present;
  }
  if (mode === "push") window.history.pushState({ imageId: meta.id }, "", pageUrl(meta.id));
  else if (mode === "replace") window.history.replaceState({ imageId: meta.id }, "", pageUrl(meta.id));
  $("#image-name").text(meta.name);
  $("#image-size").text(`${meta.width} × ${meta.height}`);
  document.title = `Annotate ${meta.name} · ${document.title.split(" · ").pop()}`;
  // The list is rendered in the next frame: rendering it now would force a layout of the whole page
  // (it reads the list's size) before the image is drawn — most of a preloaded switch's time.
  renderImageListSoon(true);
  const loading = setTimeout(() => $("#canvas-loading").prop("hidden", false), 150);
  let img;
  let annotations;
  try {
    [img, annotations] = await Promise.all([loadImage(meta), loadAnnotations(meta.id)]);
  } catch (error) {
    clearTimeout(loading);
    if (navigation === state.navigation) {
      $("#canvas-loading").prop("hidden", true);
      showMessage(errorSentence(error, "load the image"), "danger");
    }
    return;
  }
  clearTimeout(loading);
  if (navigation !== state.navigation) return;
  $("#canvas-loading").prop("hidden", true);
  state.bitmap = img;
  state.records = buildRecords(meta.id, annotations);
  editor.setImage(meta.width, meta.height);
  state.history = book.forImage(meta.id);
  if (meta.id !== leaving || !state.fitted) fitToCanvas();
  if (meta.id !== leaving) applyKeptSelection();
  editor.takeChange();
  if (index === null) locateCurrent();
  markDirty();
  drawNow();
  renderAnnotationList();
  renderCoordinates();
  renderUndoButtons();
  renderImageListSoon(true);
  document.body.dataset.annotateImage = String(meta.id);
  preloadAround();
}

export async function locateCurrent() {
  const id = state.image.id;
  try {
    const position = await imageList.locate(id);
    if (state.image.id !== id) return;
    state.index = position.index;
    state.present = position.present;
    renderImageList(true);
    preloadAround();
  } catch (error) {
    showMessage(errorSentence(error, "load the image list"), "danger");
  }
}

export async function step(delta) {
  const count = imageList.count;
  if (!count) {
    showMessage("There are no images in the list.", "warning");
    return;
  }
  let target = delta > 0 ? (state.present ? state.index + 1 : state.index) : state.index - 1;
  if (target >= count) target = 0;
  if (target < 0) target = count - 1;
  const meta = imageList.get(target) || (await imageList.ensure(target));
  if (!meta) return;
  if (meta.id === state.image.id && count === 1) {
    showMessage("This is the only image in the list.", "info");
  }
  await openImage(meta, { index: target, present: true });
}

export async function openById(imageId, mode) {
  const index = imageList.indexOf(imageId);
  let meta = index >= 0 ? imageList.get(index) : null;
  if (!meta) {
    try {
      const data = await apiFetch(config.urls.image.replace(/0\/$/, `${imageId}/`));
      meta = { id: data.id, name: data.name, width: data.width, height: data.height, url: data.url };
    } catch (error) {
      showMessage(errorSentence(error, "open the image"), "danger");
      return;
    }
  }
  await openImage(meta, index >= 0 ? { index, present: true, mode } : { mode });
}

window.addEventListener("popstate", (event) => {
  const id = event.state && event.state.imageId;
  if (id && id !== state.image.id) openById(id, "none");
});

// --- the image list (virtualized) -------------------------------------------------------------------

export const listEl = document.getElementById("image-list");
export const spacer = document.getElementById("image-list-spacer");
let listFrame = null;

export function renderImageList(scrollToCurrent = false) {
  const count = imageList.count ?? 0;
  spacer.style.height = `${count * ROW_HEIGHT}px`;
  $("#image-list-count").text(
    count === 0
      ? imageList.count === null
        ? ""
        : "No images with this filter."
      : `${state.present ? `Image ${state.index + 1} of ${count}` : `${count} images`}${imageList.filter ? " (filtered)" : ""}`,
  );
  $("#image-index").text(state.present && count ? `${state.index + 1} / ${count}` : "");
  if (scrollToCurrent && count) {
    const middle = state.index * ROW_HEIGHT - listEl.clientHeight / 2 + ROW_HEIGHT / 2;
    const top = listEl.scrollTop;
    if (state.index * ROW_HEIGHT < top || (state.index + 1) * ROW_HEIGHT > top + listEl.clientHeight) {
      listEl.scrollTop = Math.max(0, middle);
    }
  }
  const top = listEl.scrollTop;
  const height = listEl.clientHeight || 400;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - 10);
  const last = Math.min(count - 1, Math.ceil((top + height) / ROW_HEIGHT) + 10);
  const rows = [];
  const missingPages = new Set();
  for (let index = first; index <= last; index += 1) {
    const image = imageList.get(index);
    const row = document.createElement("div");
    row.className = "image-list-row";
    row.style.top = `${index * ROW_HEIGHT}px`;
    row.dataset.index = String(index);
    row.setAttribute("role", "option");
    if (image) {
      row.textContent = image.name;
      row.title = image.name;
      row.dataset.imageId = String(image.id);
      const current = image.id === state.image.id;
      row.classList.toggle("active", current);
      row.setAttribute("aria-selected", current ? "true" : "false");
    } else {
      row.textContent = "…";
      row.classList.add("placeholder-row");
      missingPages.add(Math.floor(index / imageList.pageSize));
    }
    rows.push(row);
  }
  spacer.replaceChildren(...rows);
  for (const page of missingPages) {
    imageList.loadPage(page).then(
      () => renderImageListSoon(),
      () => {},
    );
  }
}

let listScrollPending = false;

/** Render the list in the next frame (once however often asked); ``scrollToCurrent`` as renderImageList. */
export function renderImageListSoon(scrollToCurrent = false) {
  listScrollPending = listScrollPending || scrollToCurrent;
  if (listFrame) return;
  listFrame = requestAnimationFrame(() => {
    listFrame = null;
    const scroll = listScrollPending;
    listScrollPending = false;
    renderImageList(scroll);
  });
}

listEl.addEventListener("scroll", () => renderImageListSoon(), { passive: true });
$(listEl).on("click", ".image-list-row[data-image-id]", function onRowClick() {
  const index = Number(this.dataset.index);
  const meta = imageList.get(index);
  if (meta) openImage(meta, { index, present: true });
});

export async function applyFilter({ switchType = true } = {}) {
  const filter = $("#image-filter").val();
  imageList.setFilter(filter ? Number(filter) : null);
  if (filter && switchType && Number(filter) !== currentType()?.id) {
    $("#annotation-type").val(filter);
    onTypeChanged();
  }
  try {
    const position = await imageList.locate(state.image.id);
    if (position.count === 0 && filter) {
      showMessage("The image set is empty with that filter applied.", "warning");
      $("#image-filter").val("");
      await applyFilter({ switchType: false });
      return;
    }
    state.index = position.index;
    state.present = position.present;
    window.history.replaceState({ imageId: state.image.id }, "", pageUrl(state.image.id));
    if (!position.present && position.count > 0) {
      const first = await imageList.ensure(0);
      if (first) await openImage(first, { index: 0, present: true });
      return;
    }
    renderImageList(true);
    preloadAround();
  } catch (error) {
    showMessage(errorSentence(error, "filter the images"), "danger");
  }
}

$("#image-filter").on("change", function onFilter() {
  this.blur();
  applyFilter();
});
$("#image-filter-refresh").on("click", () => applyFilter({ switchType: false }));

