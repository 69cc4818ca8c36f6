// The list of the image's annotations (tags are in the tag bar), each with its type's colour and its
// attribute values, and choosing one of them for editing.

import { summary } from "../attrform.js";
import { isTag } from "../schema.js";
import { afterEditorChange } from "./editing.js";
import { colorOf, swatch } from "./legend.js";
import { renderTags } from "./tags.js";
import { canDelete, canEdit, currentType, describeVector, editor, state, typeById } from "./page.js";
import { onTypeChanged, renderEditState } from "./typepicker.js";
import { markDirty } from "./canvasview.js";

const $ = window.jQuery;

// --- the annotation list ----------------------------------------------------------------------------

let listRender = null;

export function renderAnnotationListSoon() {
  if (listRender) return;
  listRender = setTimeout(() => {
    listRender = null;
    renderAnnotationList();
  }, 0);
}

export function renderAnnotationList() {
  const records = [...state.records.values()].filter((record) => !isTag(typeById.get(record.typeId))).sort((a, b) => {
    const nameA = typeById.get(a.typeId)?.name ?? "";
    const nameB = typeById.get(b.typeId)?.name ?? "";
    return nameA.localeCompare(nameB) || (a.id ?? Infinity) - (b.id ?? Infinity);
  });
  const items = records.map((record) => {
    const type = typeById.get(record.typeId);
    const $item = $("<li>", { class: "list-group-item", "data-uuid": record.uuid, "data-id": record.id ?? "" });
    $item.append(
      swatch(colorOf(record.typeId)),
      " ",
      $("<strong>").text(type ? type.name : "inactive type"),
      " ",
      $("<span>").text(describeVector(record.vector)),
    );
    const values = summary(record.attributes, type?.attributes);
    if (values) $item.append($("<div>", { class: "attribute-summary text-body-secondary" }).text(values));
    if (record.concealed && type?.enable_concealed) $item.append(" ", $("<span>", { class: "badge text-bg-warning" }).text("concealed"));
    if (record.blurred && type?.enable_blurred) $item.append(" ", $("<span>", { class: "badge text-bg-info" }).text("blurred"));
    if (record.machine) $item.append(" ", $("<span>", { class: "badge text-bg-secondary" }).text("machine"));
    if (record.pending) $item.append(" ", $("<span>", { class: "badge text-bg-warning unsent-badge" }).text("unsent"));
    return $item;
  });
  $("#annotation-list").empty().append(items);
  $("#annotation-count").text(records.length);
  renderEditState();
  renderTags();
}

$("#annotation-list").on("click", ".list-group-item", function onAnnotationClick() {
  startEditing(this.dataset.uuid);
});

export function startEditing(uuid) {
  const record = state.records.get(uuid);
  if (!record) return;
  state.highlight = null;
  state.tagEdit = null;
  if (!(canEdit || canDelete)) {
    state.highlight = uuid;
    markDirty();
    renderEditState();
    return;
  }
  if (record.typeId !== currentType()?.id && typeById.has(record.typeId)) {
    $("#annotation-type").val(String(record.typeId));
    onTypeChanged();
  }
  if (record.points) {
    $("#not-in-image").prop("checked", false);
    state.niiEdit = null;
    editor.edit(uuid, record.points);
  } else {
    editor.clear();
    $("#not-in-image").prop("checked", true);
    state.niiEdit = uuid;
  }
  $("#concealed").prop("checked", record.concealed).prop("disabled", !record.points || !typeById.get(record.typeId)?.enable_concealed);
  $("#blurred").prop("checked", record.blurred).prop("disabled", !record.points || !typeById.get(record.typeId)?.enable_blurred);
  afterEditorChange();
}

