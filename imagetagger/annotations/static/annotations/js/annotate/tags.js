// Image tags: the set's tag types (vector type 6) as toggle buttons. A click or the tag's key adds
// the tag to the current image (a create with a null vector) or removes it (a delete), through the
// outbox like every other change, with undo. A tag with attributes has an "attributes" button that
// shows them in the attributes panel.

import { defaultValues, summary } from "../attrform.js";
import { isTag, normalizeColor } from "../schema.js";
import { renderAttributes } from "./attrpanel.js";
import { canAnnotate, canDelete, newUuid, showMessage, state, typeById, types } from "./page.js";
import { createRecord, deleteRecord, tagRecord } from "./records.js";
import { renderUndoButtons } from "./typepicker.js";

const $ = window.jQuery;

export const tagTypes = types.filter(isTag);

export function toggleTag(typeId) {
  const type = typeById.get(typeId);
  if (!type) return;
  const existing = tagRecord(typeId);
  if (existing) {
    if (!canDelete) {
      showMessage("You may not remove labels of this image set.", "warning");
      return;
    }
    const snapshot = {
      uuid: existing.uuid,
      typeId,
      vector: null,
      concealed: false,
      blurred: false,
      attributes: existing.attributes || {},
    };
    deleteRecord(existing.uuid);
    state.history.push({ kind: "delete", record: snapshot });
    if (state.tagEdit === existing.uuid) state.tagEdit = null;
  } else {
    if (!canAnnotate) {
      showMessage("You may not label images of this set.", "warning");
      return;
    }
    const record = {
      uuid: newUuid(),
      typeId,
      vector: null,
      concealed: false,
      blurred: false,
      attributes: defaultValues(type.attributes),
    };
    createRecord(record);
    state.history.push({ kind: "create", record: { ...record } });
  }
  renderTags();
  renderAttributes();
  renderUndoButtons();
}

export function renderTags() {
  const $bar = $("#tag-bar");
  if (!$bar.length) return;
  $bar.find(".tag-item").remove();
  const items = tagTypes.map((type) => {
    const record = tagRecord(type.id);
    const on = Boolean(record);
    const color = normalizeColor(type.color);
    const $group = $("<span>", { class: "tag-item btn-group btn-group-sm", "data-type-id": type.id });
    const $toggle = $("<button>", {
      type: "button",
      class: `btn btn-sm tag-toggle ${on ? "on" : ""}`,
      "aria-pressed": on ? "true" : "false",
      "data-type-id": type.id,
      title: on ? `Remove the tag “${type.name}” from this image` : `Tag this image “${type.name}”`,
      disabled: on ? !canDelete : !canAnnotate,
    }).css("--tag-color", color);
    $toggle.append(
      $("<i>", { class: `bi ${on ? "bi-check-square-fill" : "bi-square"}`, "aria-hidden": "true" }),
      " ",
      $("<span>").text(type.name),
    );
    if (type.shortcut) $toggle.append(" ", $("<kbd>").text(String(type.shortcut)));
    if (record && record.pending) $toggle.append(" ", $("<span>", { class: "badge text-bg-warning unsent-badge" }).text("unsent"));
    $group.append($toggle);
    if (on && (type.attributes || []).length) {
      const text = summary(record.attributes, type.attributes);
      $group.append(
        $("<button>", {
          type: "button",
          class: `btn btn-sm btn-outline-secondary tag-attributes ${state.tagEdit === record.uuid ? "active" : ""}`,
          "data-uuid": record.uuid,
          title: text ? `Attributes of the tag “${type.name}”: ${text}` : `Attributes of the tag “${type.name}”`,
        }).text(text || "attributes…"),
      );
    }
    return $group;
  });
  $bar.append(items);
}

$("#tag-bar").on("click", ".tag-toggle", function onTagClick() {
  this.blur();
  toggleTag(Number(this.dataset.typeId));
});

$("#tag-bar").on("click", ".tag-attributes", function onTagAttributes() {
  state.tagEdit = this.dataset.uuid;
  renderTags();
  renderAttributes({ focus: true });
});
