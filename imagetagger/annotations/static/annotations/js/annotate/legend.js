// The colour legend (every type of the set with its swatch and key; a click picks a drawable type
// or toggles a tag; the eye beside a drawable type hides or shows its labels, like the object panel's
// group header), the type picker's labels with their keys, the swatch beside the picker, and the
// phone's type picker in the bottom bar (#bottom-type), kept in step with the main one.

import { legendEntries, normalizeColor, typeForKey } from "../schema.js";
import { currentType, state, types } from "./page.js";
import { setTypeHidden } from "./labellist.js";
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
    const $entry = $("<span>", { class: "legend-entry btn-group btn-group-sm", "data-type-id": entry.id }).append($button);
    if (!entry.isTag) {
      $entry.append(
        $("<button>", { type: "button", class: "btn btn-sm legend-eye", "data-type-id": entry.id, "aria-pressed": "false" }).append(
          $("<i>", { class: "bi bi-eye", "aria-hidden": "true" }),
          $("<span>", { class: "visually-hidden legend-eye-label" }),
        ),
      );
    }
    return $entry;
  });
  $("#type-legend").empty().append(items);
  renderLegendState();
  $("#annotation-type option").each(function label() {
    const key = keyOf(Number(this.value));
    const name = this.textContent.replace(/ \(\d\)$/, "");
    this.textContent = key ? `${name} (${key})` : name;
  });
  $("#bottom-type").empty().append($("#annotation-type option").clone());
  renderCurrentType();
}

/** The legend's eyes: pressed when the type's labels are hidden. */
export function renderLegendState() {
  $("#type-legend .legend-eye").each(function eye() {
    const typeId = Number(this.dataset.typeId);
    const hidden = state.hiddenTypes.has(typeId);
    const name = entryById.get(typeId)?.name ?? "";
    this.setAttribute("aria-pressed", hidden ? "true" : "false");
    this.title = hidden ? `Show the ${name} labels` : `Hide the ${name} labels`;
    $(this).find(".bi").attr("class", `bi ${hidden ? "bi-eye-slash" : "bi-eye"}`);
    $(this).find(".legend-eye-label").text(this.title);
  });
}

export function renderCurrentType() {
  const type = currentType();
  $("#bottom-type").val(type ? String(type.id) : "");
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

$("#type-legend").on("click", ".legend-eye", function onLegendEye() {
  const typeId = Number(this.dataset.typeId);
  setTypeHidden(typeId, !state.hiddenTypes.has(typeId));
});

$("#bottom-type").on("change", function onBottomType() {
  this.blur();
  pick(Number(this.value));
});

$("#type-legend").on("click", ".legend-item", function onLegendClick() {
  pick(Number(this.dataset.typeId));
});
