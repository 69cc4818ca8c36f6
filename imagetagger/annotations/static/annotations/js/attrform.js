// Attribute values of labels in the browser: defaults, the checks the server makes (a mirror of
// annotations/attributes.py, with the same sentences, so that a refusal reads the same before and
// after sending), the form inputs' conversions, a short summary, and the server's 400 answer
// mapped onto the attributes it names. Pure functions (no DOM).
//
//   defaultValues(definitions)               {name: default} of the attributes that have one
//   valueProblem(definition, value)          why ``value`` does not fit (a sentence), or null
//   checkValues(values, definitions)         {values (defaults filled in), errors: {name: reason},
//                                            unknown: [reason]} — like the server's clean_values
//   parseInput(definition, raw)              a form input's value (string, or boolean for a
//                                            checkbox) as an attribute value; "" → null (not given)
//   formatInput(definition, value)           the attribute value as the input shows it
//   summary(values, definitions)             "colour: red, occluded: yes" in definition order
//   serverErrors(data, definitions)          {fields: {name: reason}, general: [reason]} of a 400
//   sameValues(a, b)                         whether two value objects are equal
//
// A definition: {name, kind: "checkbox"|"number"|"text"|"select", required, default,
//                min, max, step (number), max_length (text), values (select)}.

function shown(value) {
  let text;
  if (typeof value === "number" && !Number.isInteger(value)) text = String(value);
  else text = JSON.stringify(value);
  if (text === undefined) text = String(value);
  return text.length <= 40 ? text : `${text.slice(0, 40)}…`;
}

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

export function defaultValues(definitions) {
  const values = {};
  for (const definition of definitions || []) {
    if (definition.default !== null && definition.default !== undefined) values[definition.name] = definition.default;
    else if (definition.kind === "checkbox") values[definition.name] = false;
  }
  return values;
}

export function valueProblem(definition, value) {
  const kind = definition.kind;
  if (kind === "checkbox") return typeof value === "boolean" ? null : `must be true or false, not ${shown(value)}.`;
  if (kind === "number") {
    if (!isNumber(value)) return `must be a number, not ${shown(value)}.`;
    const { min, max, step } = definition;
    if (min !== null && min !== undefined && value < min) return `must be at least ${shown(min)}, not ${shown(value)}.`;
    if (max !== null && max !== undefined && value > max) return `must be at most ${shown(max)}, not ${shown(value)}.`;
    if (step !== null && step !== undefined) {
      const base = min || 0;
      const steps = (value - base) / step;
      if (Math.abs(steps - Math.round(steps)) > 1e-9 * Math.max(1, Math.abs(steps))) {
        return `must be ${shown(base)} plus a multiple of ${shown(step)}, not ${shown(value)}.`;
      }
    }
    return null;
  }
  if (kind === "text") {
    if (typeof value !== "string") return `must be text, not ${shown(value)}.`;
    const limit = definition.max_length ?? 200;
    if (value.length > limit) return `has ${value.length} characters; at most ${limit} are allowed.`;
    return null;
  }
  const choices = (definition.values || []).map(shown).join(", ");
  if (typeof value !== "string" || !(definition.values || []).includes(value)) {
    return `must be one of ${choices}, not ${shown(value)}.`;
  }
  return null;
}

export function checkValues(values, definitions) {
  const given = values || {};
  const byName = new Map((definitions || []).map((definition) => [definition.name, definition]));
  const errors = {};
  const unknown = [];
  const cleaned = {};
  for (const name of Object.keys(given)) {
    if (!byName.has(name)) unknown.push(`Unknown attribute ${shown(name)}.`);
  }
  for (const [name, definition] of byName) {
    const value = given[name];
    if (value === null || value === undefined) {
      if (definition.default !== null && definition.default !== undefined) cleaned[name] = definition.default;
      else if (definition.required) errors[name] = `Attribute “${name}” is required.`;
      continue;
    }
    const problem = valueProblem(definition, value);
    if (problem) errors[name] = `Attribute “${name}” ${problem}`;
    else cleaned[name] = value;
  }
  return { values: cleaned, errors, unknown };
}

export function parseInput(definition, raw) {
  if (definition.kind === "checkbox") return Boolean(raw);
  const text = typeof raw === "string" ? raw : raw === null || raw === undefined ? "" : String(raw);
  if (definition.kind === "number") {
    if (text.trim() === "") return null;
    const number = Number(text.trim());
    return Number.isFinite(number) ? number : text;
  }
  return text === "" ? null : text;
}

export function formatInput(definition, value) {
  if (definition.kind === "checkbox") return Boolean(value);
  if (value === null || value === undefined) return "";
  return String(value);
}

export function summary(values, definitions) {
  if (!values) return "";
  const order = (definitions || []).map((definition) => definition.name);
  const names = [
    ...order.filter((name) => name in values),
    ...Object.keys(values)
      .filter((name) => !order.includes(name))
      .sort(),
  ];
  return names
    .filter((name) => values[name] !== null && values[name] !== undefined && values[name] !== "")
    .map((name) => {
      const value = values[name];
      return `${name}: ${typeof value === "boolean" ? (value ? "yes" : "no") : String(value)}`;
    })
    .join(", ");
}

export function serverErrors(data, definitions) {
  const fields = {};
  const general = [];
  if (!data) return { fields, general };
  let reasons = data.attributes ?? (data.errors && data.errors.attributes);
  if (reasons === undefined || reasons === null) reasons = data.detail ? [data.detail] : [];
  if (!Array.isArray(reasons)) reasons = [reasons];
  const names = (definitions || []).map((definition) => definition.name);
  for (const reason of reasons.flat().map(String)) {
    const named = names.find((name) => reason.includes(`“${name}”`) || reason.includes(`"${name}"`));
    if (named) fields[named] = fields[named] ? `${fields[named]} ${reason}` : reason;
    else general.push(reason);
  }
  return { fields, general };
}

export function sameValues(a, b) {
  const left = a || {};
  const right = b || {};
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (JSON.stringify(left[key] ?? null) !== JSON.stringify(right[key] ?? null)) return false;
  }
  return true;
}
