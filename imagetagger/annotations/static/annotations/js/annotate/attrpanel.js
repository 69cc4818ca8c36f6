// The attributes panel: form fields made from the type's attribute definitions (checkbox; number
// with min/max/step; text with max length; select), for the label being edited, the tag chosen in
// the tag bar, or else the next new label of the current type (its values start at the defaults
// and are sent with the create). Required fields are marked. Keys: Tab from the canvas goes into
// the first field; Enter or leaving a field applies it; Esc drops what was not applied and goes back
// to the canvas; the canvas shortcuts do not fire in here. A change of a saved label is checked like
// the server does (attrform.js) and sent as an update through the outbox (PATCH with attributes and
// the version seen), with undo; the server's 400 reasons are shown next to the fields they name.

import { checkValues, defaultValues, formatInput, parseInput, sameValues } from "../attrform.js";
import { isTag } from "../schema.js";
import { colorOf, swatch } from "./legend.js";
import { renderAnnotationList } from "./labellist.js";
import { canAnnotate, canEdit, canvas, currentType, state, typeById } from "./page.js";
import { updateRecord } from "./records.js";
import { renderTags } from "./tags.js";
import { editingUuid, renderUndoButtons } from "./typepicker.js";

const $ = window.jQuery;
const panel = document.getElementById("attributes-panel");
let rendered = null;

/** What the panel shows: {kind: "record", record, type}, {kind: "draft", type} or null. */
export function subject() {
  // Readers see the values of the label they clicked (highlighted), read-only.
  const uuid = editingUuid() || state.tagEdit || (canEdit ? null : state.highlight);
  const record = uuid ? state.records.get(uuid) : null;
  if (record && typeById.has(record.typeId)) return { kind: "record", record, type: typeById.get(record.typeId) };
  const type = currentType();
  return type && canAnnotate ? { kind: "draft", type } : null;
}

function subjectKey(subj) {
  return subj.kind === "record" ? subj.record.uuid : `draft:${subj.type.id}`;
}

/** The values the next new label of ``type`` gets (the defaults until the user changes them). */
export function draftValues(type) {
  if (!state.draft || state.draft.typeId !== type.id) {
    state.draft = { typeId: type.id, values: defaultValues(type.attributes) };
  }
  return state.draft.values;
}

function isEditable(subj) {
  return subj.kind === "record" ? canEdit : canAnnotate;
}

function fieldId(index) {
  return `attribute-field-${index}`;
}

function describe(subj) {
  const name = subj.type.name;
  if (subj.kind === "draft") return `New ${name} labels`;
  const id = subj.record.id ? `#${subj.record.id}` : "(unsent)";
  return isTag(subj.type) ? `Tag ${name} ${id}` : `Label ${id}: ${name}`;
}

function buildField(definition, index, value, disabled) {
  const id = fieldId(index);
  const required = definition.required && definition.kind !== "checkbox";
  const $label = $("<label>", { for: id, class: definition.kind === "checkbox" ? "form-check-label" : "form-label small mb-0" }).text(
    definition.name,
  );
  if (required) $label.append($("<span>", { class: "text-danger", "aria-hidden": "true" }).text(" *"), $("<span>", { class: "visually-hidden" }).text(" (required)"));
  const common = { id, "data-name": definition.name, "aria-describedby": `${id}-error`, disabled };
  if (required) common["aria-required"] = "true";
  const $error = $("<div>", { class: "invalid-feedback", id: `${id}-error` });
  if (definition.kind === "checkbox") {
    const $input = $("<input>", { ...common, type: "checkbox", class: "form-check-input" }).prop("checked", formatInput(definition, value));
    return $("<div>", { class: "form-check mb-1 attribute-field" }).append($input, $label, $error);
  }
  let $input;
  if (definition.kind === "number") {
    $input = $("<input>", { ...common, type: "number", class: "form-control form-control-sm", step: definition.step ?? "any" });
    if (definition.min !== null && definition.min !== undefined) $input.attr("min", definition.min);
    if (definition.max !== null && definition.max !== undefined) $input.attr("max", definition.max);
    $input.val(formatInput(definition, value));
  } else if (definition.kind === "text") {
    $input = $("<input>", { ...common, type: "text", class: "form-control form-control-sm", maxlength: definition.max_length ?? 200 });
    $input.val(formatInput(definition, value));
  } else {
    $input = $("<select>", { ...common, class: "form-select form-select-sm" });
    if (!(definition.required && definition.default !== null && definition.default !== undefined)) {
      $input.append($("<option>", { value: "" }).text(definition.required ? "— choose —" : "—"));
    }
    for (const choice of definition.values || []) $input.append($("<option>", { value: choice }).text(choice));
    $input.val(formatInput(definition, value));
  }
  const hints = [];
  if (definition.kind === "number") {
    if (definition.min !== null && definition.min !== undefined) hints.push(`from ${definition.min}`);
    if (definition.max !== null && definition.max !== undefined) hints.push(`to ${definition.max}`);
    if (definition.step) hints.push(`in steps of ${definition.step}`);
  }
  const $field = $("<div>", { class: "mb-1 attribute-field" }).append($label, $input);
  if (hints.length) $field.append($("<div>", { class: "form-text mt-0" }).text(hints.join(" ")));
  return $field.append($error);
}

/** Show ``errors`` ({name: reason}) next to their fields and ``general`` below the form. */
function showErrors(definitions, errors, general = []) {
  definitions.forEach((definition, index) => {
    const reason = errors[definition.name] || "";
    const input = document.getElementById(fieldId(index));
    if (!input) return;
    input.classList.toggle("is-invalid", Boolean(reason));
    input.setAttribute("aria-invalid", reason ? "true" : "false");
    $(`#${fieldId(index)}-error`).text(reason);
  });
  $("#attributes-general").text(general.join(" "));
}

export function renderAttributes({ focus = false } = {}) {
  const subj = subject();
  const definitions = subj ? subj.type.attributes || [] : [];
  if (!subj || !definitions.length) {
    panel.hidden = true;
    rendered = null;
    return;
  }
  panel.hidden = false;
  const key = subjectKey(subj);
  const refused = state.attributeErrors && state.attributeErrors.key === key ? state.attributeErrors : null;
  const values = refused?.values ?? (subj.kind === "record" ? subj.record.attributes || {} : draftValues(subj.type));
  const editable = isEditable(subj);
  // Values in a fixed key order: the server may send the same values in another order (PostgreSQL's
  // JSONB sorts keys), which must not re-render the form under the labeler's fingers.
  const canonical = (object) => (object ? JSON.stringify(object, Object.keys(object).sort()) : null);
  const renderKey = JSON.stringify([key, subj.type.id, canonical(values), canonical(refused?.fields), refused?.general, editable]);
  if (renderKey !== rendered) {
    const focused = panel.contains(document.activeElement) ? document.activeElement.id : null;
    rendered = renderKey;
    $("#attributes-subject").empty().append(swatch(colorOf(subj.type.id)), " ", $("<span>").text(describe(subj)));
    $("#attributes-form")
      .empty()
      .append(definitions.map((definition, index) => buildField(definition, index, values[definition.name], !editable)));
    showErrors(definitions, refused?.fields || {}, refused?.general || []);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }
  if (focus) $("#attributes-form").find("input, select").first().trigger("focus");
}

function readForm(definitions) {
  const values = {};
  definitions.forEach((definition, index) => {
    const input = document.getElementById(fieldId(index));
    if (!input) return;
    let value;
    if (definition.kind === "checkbox") value = input.checked;
    else if (definition.kind === "number" && input.validity && input.validity.badInput) value = "(not a number)";
    else value = parseInput(definition, input.value);
    if (value !== null) values[definition.name] = value;
  });
  return values;
}

/** Apply the form: false (with the reasons shown) when a value is refused. */
export function applyAttributes() {
  const subj = subject();
  if (!subj || !isEditable(subj)) return true;
  const definitions = subj.type.attributes || [];
  const typed = readForm(definitions);
  const checked = checkValues(typed, definitions);
  if (Object.keys(checked.errors).length) {
    // Kept in the state: a render meanwhile (another field's save coming back) shows the typed values
    // and the reasons again instead of the label's stored values.
    state.attributeErrors = { key: subjectKey(subj), values: typed, fields: checked.errors, general: [] };
    showErrors(definitions, checked.errors);
    return false;
  }
  showErrors(definitions, {});
  state.attributeErrors = null;
  if (subj.kind === "draft") {
    state.draft = { typeId: subj.type.id, values: checked.values };
  } else if (!sameValues(subj.record.attributes, checked.values)) {
    const before = { attributes: subj.record.attributes || {} };
    updateRecord(subj.record.uuid, { attributes: checked.values });
    state.history.push({ kind: "update", uuid: subj.record.uuid, before, after: { attributes: checked.values } });
    renderUndoButtons();
    renderAnnotationList();
    renderTags();
  }
  rendered = null; // show the values as applied (an emptied field gets its default back)
  renderAttributes();
  return true;
}

/**
 * The attributes a new label of ``type`` is created with, or null when one is refused (the
 * reasons are then shown in the panel).
 */
export function attributesForNew(type) {
  const definitions = type.attributes || [];
  const values = draftValues(type);
  const checked = checkValues(values, definitions);
  if (Object.keys(checked.errors).length) {
    state.attributeErrors = { key: `draft:${type.id}`, values, fields: checked.errors, general: [] };
    renderAttributes();
    return null;
  }
  return checked.values;
}

/** Values of a label that changes its type: those the new type knows, checked, with its defaults. */
export function attributesForType(values, type) {
  const definitions = type.attributes || [];
  const known = {};
  for (const definition of definitions) if (values && definition.name in values) known[definition.name] = values[definition.name];
  const checked = checkValues(known, definitions);
  for (const name of Object.keys(checked.errors)) delete known[name];
  return checkValues(known, definitions).values;
}

/** A refusal (400) of a change that carried attributes: its reasons next to the fields. */
export function showRefusal(op, fields, general) {
  const key = op.kind === "create" ? `draft:${op.fields.annotation_type}` : op.uuid;
  state.attributeErrors = { key, values: op.fields && op.fields.attributes, fields, general };
  renderAttributes();
}

/** Put the values as they are back into the fields (dropping what was typed but not applied). */
function restoreFields() {
  const subj = subject();
  if (!subj) return;
  if (state.attributeErrors && state.attributeErrors.key === subjectKey(subj)) state.attributeErrors = null;
  const values = subj.kind === "record" ? subj.record.attributes || {} : draftValues(subj.type);
  (subj.type.attributes || []).forEach((definition, index) => {
    const input = document.getElementById(fieldId(index));
    if (!input) return;
    if (definition.kind === "checkbox") input.checked = formatInput(definition, values[definition.name]);
    else input.value = formatInput(definition, values[definition.name]);
  });
  showErrors(subj.type.attributes || [], {});
}

$("#attributes-form").on("submit", (event) => event.preventDefault());
$("#attributes-form").on("change", "input, select", () => applyAttributes());
$("#attributes-form").on("keydown", "input, select", (event) => {
  event.stopPropagation(); // no canvas shortcuts while in a field
  if (event.key === "Enter") {
    event.preventDefault();
    applyAttributes();
  } else if (event.key === "Escape") {
    event.preventDefault();
    restoreFields();
    canvas.focus({ preventScroll: true });
  }
});
