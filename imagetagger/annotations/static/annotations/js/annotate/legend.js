// The colour legend (every type of the set with its swatch and key; a click picks a drawable type
// or toggles a tag), the type picker's labels with their keys, and the swatch beside the picker.

import { legendEntries, normalizeColor, typeForKey } from "../schema.js";
import { currentType, types } from "./page.js";
import { toggleTag } from "./tags.js";
import { onTypeChanged } from "./typepicker.js";

const $ = window.jQuery;

export const entries = legendEntries(types);
const entryById = new Map(entries.map((entry) => [entry.id, entry]));

export function colorOf(typeId) {
  return entryById.get(typeId)?.color ?? normalizeColor(null);
}

export function keyOf(typeId) {
  return entryById.get(typeId)?.key ?? null;
}

function swatch(color) {
  return $("<span>", { class: "type-swatch", "aria-hidden": "true" }).css("background-color", color);
}

export { swatch };

export function renderLegend() {
  const items = entries.map((entry) => {
    const $button = $("<button>", {
      type: "button",
      class: "btn btn-sm legend-item",
      "data-type-id": entry.id,
      title: entry.isTag ? `Image tag “${entry.name}”: add or remove it` : `Draw “${entry.name}”`,
    }).append(swatch(entry.color), " ", $("<span>", { class: "legend-name" }).text(entry.name));
    if (entry.isTag) $button.append(" ", $("<span>", { class: "badge text-bg-light border" }).text("tag"));
    if (entry.key) $button.append(" ", $("<kbd>").text(entry.key));
    return $button;
  });
  $("#type-legend").empty().append(items);
  $("#annotation-type option").each(function label() {
    const key = keyOf(Number(this.value));
    const name = this.textContent.replace(/ \(\d\)$/, "");
    this.textContent = key ? `${name} (${key})` : name;
  });
  renderCurrentType();
}

export function renderCurrentType() {
  const type = currentType();
  $("#current-type-swatch").css("background-color", type ? colorOf(type.id) : "transparent");
  $("#type-legend .legend-item").each(function mark() {
    const current = type && Number(this.dataset.typeId) === type.id;
    $(this).toggleClass("current", Boolean(current)).attr("aria-current", current ? "true" : null);
  });
}

/** A number key: pick the type or toggle the tag that has it; true when the key was used. */
export function pickByKey(key) {
  const type = typeForKey(types, key);
  if (!type) return false;
  pick(type.id);
  return true;
}

function pick(typeId) {
  const entry = entryById.get(typeId);
  if (!entry) return;
  if (entry.isTag) {
    toggleTag(typeId);
    return;
  }
  if ($(`#annotation-type option[value="${typeId}"]`).length) {
    $("#annotation-type").val(String(typeId));
    onTypeChanged();
  }
}

$("#type-legend").on("click", ".legend-item", function onLegendClick() {
  pick(Number(this.dataset.typeId));
});
