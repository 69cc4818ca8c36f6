// A set's label schema on the pages: type colours, the number keys that pick a type or toggle a
// tag, and the legend's entries. Pure functions (no DOM), shared by the annotate and verify pages.
//
//   VECTOR_TAG                         the vector type of whole-image tags (6)
//   normalizeColor(value)              "#rrggbb" (lower case) or FALLBACK_COLOR
//   withAlpha(color, alpha)            "rgba(r, g, b, alpha)" for fills and halos
//   textColorOn(color)                 "#000" or "#fff", whichever reads better on ``color``
//   typeKeys(types)                    Map type id -> key ("1"…"9", "0")
//   typeForKey(types, key)             the type that ``key`` picks (or toggles), or null
//   legendEntries(types)               [{id, name, color, key, isTag}] in schema order
//
// Number keys (spec §7.1.8 gave "1…9, 0: the 1st…10th type"): a type with its own ``shortcut``
// (1–9) has that key; the first type in schema order wins when two share one. Drawable types without
// a shortcut keep the original rule, their position among the drawable types (1st → "1", 10th →
// "0"), unless a shortcut took that key. Tags have a key only through their own shortcut.

export const VECTOR_TAG = 6;
export const FALLBACK_COLOR = "#cc4444";

export function normalizeColor(value) {
  if (typeof value !== "string") return FALLBACK_COLOR;
  const text = value.trim().toLowerCase();
  if (/^#[0-9a-f]{6}$/.test(text)) return text;
  if (/^#[0-9a-f]{3}$/.test(text)) return `#${[...text.slice(1)].map((c) => c + c).join("")}`;
  return FALLBACK_COLOR;
}

export function hexToRgb(color) {
  const hex = normalizeColor(color).slice(1);
  return { r: parseInt(hex.slice(0, 2), 16), g: parseInt(hex.slice(2, 4), 16), b: parseInt(hex.slice(4, 6), 16) };
}

export function withAlpha(color, alpha) {
  const { r, g, b } = hexToRgb(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Relative luminance (WCAG) of a colour. */
function luminance(color) {
  const channel = (value) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const { r, g, b } = hexToRgb(color);
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function textColorOn(color) {
  const light = luminance(color);
  // Contrast against black (light + 0.05) / 0.05 versus white 1.05 / (light + 0.05).
  return (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) ? "#000" : "#fff";
}

export function isTag(type) {
  return Boolean(type && (type.is_tag || type.vector_type === VECTOR_TAG));
}

function keyOf(number) {
  return number === 10 ? "0" : String(number);
}

export function typeKeys(types) {
  const keys = new Map();
  const taken = new Set();
  for (const type of types) {
    const shortcut = Number(type.shortcut);
    if (Number.isInteger(shortcut) && shortcut >= 1 && shortcut <= 9 && !taken.has(String(shortcut))) {
      keys.set(type.id, String(shortcut));
      taken.add(String(shortcut));
    }
  }
  let position = 0;
  for (const type of types) {
    if (isTag(type)) continue;
    position += 1;
    if (position > 10) break;
    if (keys.has(type.id) || type.shortcut) continue;
    const key = keyOf(position);
    if (!taken.has(key)) {
      keys.set(type.id, key);
      taken.add(key);
    }
  }
  return keys;
}

export function typeForKey(types, key) {
  for (const [id, candidate] of typeKeys(types)) {
    if (candidate === key) return types.find((type) => type.id === id) || null;
  }
  return null;
}

export function legendEntries(types) {
  const keys = typeKeys(types);
  return types.map((type) => ({
    id: type.id,
    name: type.name,
    color: normalizeColor(type.color),
    key: keys.get(type.id) ?? null,
    isTag: isTag(type),
  }));
}
