// The label-type form (team and site pages): the colour palette, the live preview and the attribute editor.
//
// Progressive enhancement: without this module the form still works (a colour input, a JSON textarea).
// With it, the textarea is hidden and an editor of attribute rows writes the JSON into it on every change;
// the server checks it again (annotations.attributes.clean_definitions) and its errors name the attribute,
// whose row is then marked.

const KINDS = [
  ["checkbox", "Checkbox"],
  ["number", "Number"],
  ["text", "Text"],
  ["select", "Select"],
];
const TEXT_DEFAULT_LENGTH = 200;
let nextUid = 1;

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// --- colour, shape and flags: the live preview ------------------------------------------------

function setupPreview(form) {
  const preview = form.querySelector("#type-preview");
  const color = form.querySelector('input[type="color"]');
  const output = form.querySelector("#color-value");
  const palette = form.querySelector("#palette");
  if (!preview || !color) return;

  const showColor = () => {
    preview.style.setProperty("--type-color", color.value);
    if (output) output.textContent = color.value;
    for (const swatch of palette ? palette.querySelectorAll("[data-color]") : []) {
      swatch.setAttribute("aria-pressed", String(swatch.dataset.color === color.value.toLowerCase()));
    }
  };
  color.addEventListener("input", showColor);
  color.addEventListener("change", showColor);
  if (palette) {
    palette.hidden = false;
    palette.addEventListener("click", (event) => {
      const swatch = event.target.closest("[data-color]");
      if (!swatch) return;
      color.value = swatch.dataset.color;
      color.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  const shape = form.querySelector('select[name="vector_type"]');
  const nodes = form.querySelector("[data-node-count]");
  const nodeInput = form.querySelector('input[name="node_count"]');
  const showShape = () => {
    if (!shape) return;
    preview.dataset.shape = shape.value;
    const counted = shape.value === "4" || shape.value === "5";
    if (nodes) nodes.hidden = !counted; // only polygons and multi-lines have a node count
    if (!counted && nodeInput && !shape.disabled) nodeInput.value = "0";
  };
  if (shape) shape.addEventListener("change", showShape);
  showShape();

  for (const flag of ["concealed", "blurred"]) {
    const input = form.querySelector(`input[name="enable_${flag}"]`);
    const group = preview.querySelector(`[data-flag="${flag}"]`);
    if (!input || !group) continue;
    const show = () => {
      group.toggleAttribute("hidden", !input.checked); // an SVG element: no ``hidden`` property
    };
    input.addEventListener("change", show);
    show();
  }

  const name = form.querySelector('input[name="name"]');
  const label = preview.querySelector("#preview-name");
  const chip = preview.querySelector(".name-chip");
  const fitChip = () => {
    if (chip && label.getComputedTextLength) chip.setAttribute("width", String(Math.ceil(label.getComputedTextLength()) + 12));
  };
  if (name && label) {
    name.addEventListener("input", () => {
      label.textContent = name.value.trim() || "new type";
      fitChip();
    });
    fitChip();
  }
  showColor();
}

// --- the attribute editor ------------------------------------------------------------------------

export function rowFromDefinition(definition) {
  const shown = (value) => (value === null || value === undefined ? "" : String(value));
  return {
    uid: nextUid++,
    name: shown(definition.name),
    kind: KINDS.some(([kind]) => kind === definition.kind) ? definition.kind : "checkbox",
    required: definition.required === true,
    default: definition.kind === "checkbox" ? definition.default === true : shown(definition.default),
    min: shown(definition.min),
    max: shown(definition.max),
    step: shown(definition.step),
    max_length: shown(definition.max_length ?? TEXT_DEFAULT_LENGTH),
    values: Array.isArray(definition.values) ? definition.values.join("\n") : "",
  };
}

function asNumber(text) {
  if (text === "" || text === null) return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : text; // the server names what is wrong with it
}

export function definitionOf(row) {
  const definition = { name: row.name.trim(), kind: row.kind, required: row.required };
  if (row.kind === "checkbox") {
    definition.default = row.default === true;
  } else if (row.kind === "number") {
    for (const key of ["min", "max", "step"]) definition[key] = asNumber(row[key]);
    definition.default = asNumber(row.default);
  } else if (row.kind === "text") {
    definition.max_length = row.max_length === "" ? TEXT_DEFAULT_LENGTH : asNumber(row.max_length);
    definition.default = row.default === "" ? null : row.default;
  } else {
    definition.values = valuesOf(row);
    definition.default = row.default === "" ? null : row.default;
  }
  return definition;
}

export function valuesOf(row) {
  return row.values
    .split("\n")
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

class AttributeEditor {
  constructor(form) {
    this.form = form;
    this.textarea = form.querySelector('textarea[name="attributes"]');
    this.root = form.querySelector("[data-attribute-editor]");
    this.jsonBlock = form.querySelector("[data-attribute-json]");
    this.errors = form.querySelector("[data-attribute-errors]");
    let definitions = [];
    const text = this.textarea.value.trim();
    if (text) {
      try {
        definitions = JSON.parse(text);
      } catch {
        definitions = null;
      }
    }
    if (!Array.isArray(definitions) || definitions.some((item) => !item || typeof item !== "object")) {
      // Not something the editor can show: leave the JSON field to the user.
      return;
    }
    this.rows = definitions.map(rowFromDefinition);
    this.jsonBlock.hidden = true;
    this.root.hidden = false;
    this.list = element("div", { className: "attribute-rows", id: "attribute-rows" });
    this.status = element("p", { className: "visually-hidden", "aria-live": "polite", id: "attribute-status" });
    this.addButton = element("button", { type: "button", className: "btn btn-outline-primary btn-sm", id: "add-attribute" }, [
      element("i", { className: "bi bi-plus-lg", "aria-hidden": "true" }),
      " Add attribute",
    ]);
    this.empty = element("p", { className: "text-body-secondary", id: "no-attributes", text: "No attributes: labels of this type carry only their shape." });
    this.addButton.addEventListener("click", () => this.add());
    this.root.append(this.empty, this.list, this.addButton, this.status);
    this.render();
    this.markErrors();
  }

  serialise() {
    this.textarea.value = this.rows.length ? JSON.stringify(this.rows.map(definitionOf)) : "[]";
  }

  announce(text) {
    this.status.textContent = text;
  }

  add() {
    const row = rowFromDefinition({ kind: "checkbox" });
    this.rows.push(row);
    this.render();
    this.focus(row, "name");
    this.announce(`Attribute ${this.rows.length} added.`);
  }

  remove(row) {
    const index = this.rows.indexOf(row);
    this.rows.splice(index, 1);
    this.render();
    const next = this.rows[Math.min(index, this.rows.length - 1)];
    if (next) this.focus(next, "remove");
    else this.addButton.focus();
    this.announce(`Attribute ${row.name || index + 1} removed.`);
  }

  move(row, step) {
    const index = this.rows.indexOf(row);
    const target = index + step;
    if (target < 0 || target >= this.rows.length) return;
    this.rows.splice(index, 1);
    this.rows.splice(target, 0, row);
    this.render();
    this.focus(row, step < 0 ? "up" : "down");
    this.announce(`Attribute ${row.name || target + 1} is now number ${target + 1}.`);
  }

  focus(row, part) {
    const target = this.list.querySelector(`[data-uid="${row.uid}"] [data-part="${part}"]`);
    if (target) target.focus();
  }

  id(row, part) {
    return `attribute-${row.uid}-${part}`;
  }

  field(row, part, label, control, { wide = "col-sm-4", help = null } = {}) {
    control.id = this.id(row, part);
    control.dataset.part = part;
    if (help) control.setAttribute("aria-describedby", `${control.id}-help`);
    return element("div", { className: wide }, [
      element("label", { className: "form-label small mb-1", for: control.id, text: label }),
      control,
      help ? element("div", { className: "form-text", id: `${control.id}-help`, text: help }) : null,
    ]);
  }

  input(row, key, attributes = {}) {
    const control = element("input", { className: "form-control form-control-sm", ...attributes });
    control.value = row[key];
    control.addEventListener("input", () => {
      row[key] = control.value;
      this.changed(row, key);
    });
    return control;
  }

  changed(row, key) {
    if (key === "name") {
      const legend = this.list.querySelector(`[data-uid="${row.uid}"] legend`);
      if (legend) legend.textContent = this.legendText(row);
      for (const button of this.list.querySelectorAll(`[data-uid="${row.uid}"] [data-action]`)) {
        button.setAttribute("aria-label", this.actionLabel(row, button.dataset.action));
      }
    }
    if (key === "values" && row.kind === "select") {
      const values = valuesOf(row);
      if (!values.includes(row.default)) row.default = "";
      this.fillDefaultOptions(row);
    }
    this.serialise();
  }

  legendText(row) {
    const position = this.rows.indexOf(row) + 1;
    return row.name.trim() ? `Attribute ${position}: ${row.name.trim()}` : `Attribute ${position}`;
  }

  actionLabel(row, action) {
    const name = row.name.trim() ? `“${row.name.trim()}”` : this.rows.indexOf(row) + 1;
    return { up: `Move attribute ${name} up`, down: `Move attribute ${name} down`, remove: `Remove attribute ${name}` }[action];
  }

  fillDefaultOptions(row) {
    const select = this.list.querySelector(`#${this.id(row, "default")}`);
    if (!select || select.tagName !== "SELECT") return;
    select.replaceChildren(element("option", { value: "", text: "(no default)" }));
    for (const value of valuesOf(row)) select.append(element("option", { value, text: value }));
    select.value = row.default;
  }

  kindFields(row) {
    const fields = [];
    if (row.kind === "checkbox") {
      const box = element("input", { type: "checkbox", className: "form-check-input", id: this.id(row, "default"), "data-part": "default" });
      box.checked = row.default === true;
      box.addEventListener("change", () => {
        row.default = box.checked;
        this.serialise();
      });
      fields.push(
        element("div", { className: "col-12" }, [
          element("div", { className: "form-check" }, [
            box,
            element("label", { className: "form-check-label", for: box.id, text: "Ticked by default" }),
          ]),
        ]),
      );
    } else if (row.kind === "number") {
      for (const [key, label] of [["min", "Minimum"], ["max", "Maximum"], ["step", "Step"], ["default", "Default"]]) {
        fields.push(this.field(row, key, label, this.input(row, key, { type: "number", step: "any", inputmode: "decimal" }), { wide: "col-6 col-md-3" }));
      }
    } else if (row.kind === "text") {
      fields.push(this.field(row, "max_length", "Maximum length", this.input(row, "max_length", { type: "number", min: "1", max: "1000", step: "1" }), { wide: "col-sm-4" }));
      fields.push(this.field(row, "default", "Default", this.input(row, "default", { type: "text" }), { wide: "col-sm-8" }));
    } else {
      const values = element("textarea", { className: "form-control form-control-sm", rows: "3" });
      values.value = row.values;
      values.addEventListener("input", () => {
        row.values = values.value;
        this.changed(row, "values");
      });
      fields.push(this.field(row, "values", "Values", values, { wide: "col-sm-7", help: "One value per line." }));
      const select = element("select", { className: "form-select form-select-sm" });
      select.addEventListener("change", () => {
        row.default = select.value;
        this.serialise();
      });
      fields.push(this.field(row, "default", "Default", select, { wide: "col-sm-5" }));
    }
    return fields;
  }

  rowElement(row, index) {
    const name = this.input(row, "name", { type: "text", maxlength: "40", autocomplete: "off", required: true });
    const kind = element("select", { className: "form-select form-select-sm" });
    for (const [value, label] of KINDS) kind.append(element("option", { value, text: label }));
    kind.value = row.kind;
    kind.addEventListener("change", () => {
      row.kind = kind.value;
      row.default = row.kind === "checkbox" ? false : "";
      this.render();
      this.focus(row, "kind");
      this.serialise();
    });
    const required = element("input", { type: "checkbox", className: "form-check-input", id: this.id(row, "required"), "data-part": "required" });
    required.checked = row.required;
    required.addEventListener("change", () => {
      row.required = required.checked;
      this.serialise();
    });
    const button = (action, icon, disabled) => {
      const node = element("button", { type: "button", className: `btn btn-sm ${action === "remove" ? "btn-outline-danger" : "btn-outline-secondary"}`, "data-part": action, "data-action": action, "aria-label": this.actionLabel(row, action), title: { up: "Move up", down: "Move down", remove: "Remove" }[action], "aria-disabled": disabled ? "true" : null }, [
        element("i", { className: `bi ${icon}`, "aria-hidden": "true" }),
      ]);
      node.addEventListener("click", () => {
        if (action === "remove") this.remove(row);
        else if (!disabled) this.move(row, action === "up" ? -1 : 1);
      });
      return node;
    };
    return element("fieldset", { className: "attribute-row", "data-uid": row.uid, "data-index": index }, [
      element("div", { className: "d-flex flex-wrap align-items-start gap-2" }, [
        element("legend", { className: "me-auto", text: this.legendText(row) }),
        element("div", { className: "btn-group", role: "group", "aria-label": "Order and removal" }, [
          button("up", "bi-arrow-up", index === 0),
          button("down", "bi-arrow-down", index === this.rows.length - 1),
          button("remove", "bi-trash", false),
        ]),
      ]),
      element("div", { className: "row g-2 align-items-end" }, [
        this.field(row, "name", "Name", name, { wide: "col-sm-6" }),
        this.field(row, "kind", "Kind", kind, { wide: "col-7 col-sm-3" }),
        element("div", { className: "col-5 col-sm-3" }, [
          element("div", { className: "form-check mb-1" }, [required, element("label", { className: "form-check-label", for: required.id, text: "Required" })]),
        ]),
        ...this.kindFields(row),
      ]),
    ]);
  }

  render() {
    this.list.replaceChildren(...this.rows.map((row, index) => this.rowElement(row, index)));
    for (const row of this.rows) if (row.kind === "select") this.fillDefaultOptions(row);
    this.empty.hidden = this.rows.length > 0;
    this.serialise();
  }

  // The server's messages name the attribute ("Attribute “pose”: …" or "Attribute 2: …"): mark that row.
  markErrors() {
    if (!this.errors) return;
    this.errors.id ||= "attribute-errors";
    const messages = [...this.errors.children].map((child) => child.textContent);
    for (const message of messages) {
      const row = rowNamedIn(message, this.rows);
      if (!row) continue;
      const fieldset = this.list.querySelector(`[data-uid="${row.uid}"]`);
      fieldset.classList.add("is-invalid");
      fieldset.setAttribute("aria-describedby", this.errors.id);
      fieldset.querySelector('[data-part="name"]').setAttribute("aria-invalid", "true");
    }
    // The errors stay visible just below the rows they name.
    this.root.after(this.errors);
  }
}

// The row a server message names ("Attribute “pose”: …" or "Attribute 2: …"), or undefined.
export function rowNamedIn(message, rows) {
  const named = message.match(/Attribute “([^”]+)”/);
  if (named) return rows.find((row) => row.name.trim() === named[1]);
  const numbered = message.match(/Attribute (\d+)/);
  return numbered ? rows[Number(numbered[1]) - 1] : undefined;
}

export function setupTypeForm(form) {
  setupPreview(form);
  if (form.querySelector('textarea[name="attributes"]') && form.querySelector("[data-attribute-editor]")) {
    form.attributeEditor = new AttributeEditor(form);
  }
}

if (typeof document !== "undefined") {
  for (const form of document.querySelectorAll("[data-type-form]")) setupTypeForm(form);
}
