// Export-format form: the image format (and its legend) only when grouping by images, the matching
// %%content explanation, and, when opened from a set, a live preview of the format on the set's first
// images, requested as the user types (debounced; an older answer never overwrites a newer one).
import { csrfToken } from "../../base/js/site.js";

const form = document.getElementById("format-form") || document.getElementById("format-readonly");
const aggregation = document.getElementById("id_image_aggregation");

function showAggregation() {
  const on = Boolean(aggregation && aggregation.checked);
  document.querySelectorAll("[data-needs-aggregation]").forEach((row) => {
    row.hidden = !on;
  });
  document.querySelectorAll(".content-plain").forEach((span) => {
    span.hidden = on;
  });
  document.querySelectorAll(".content-aggregated").forEach((span) => {
    span.hidden = !on;
  });
}

if (aggregation) aggregation.addEventListener("change", showAggregation);
showAggregation();

// "Start from": a ready-made format fills the templates (and what the file is); the preview follows.
const presetsData = document.getElementById("format-presets");
const presetSelect = document.getElementById("format-preset");
if (presetsData && presetSelect) {
  const presets = JSON.parse(presetsData.textContent);
  presetSelect.addEventListener("change", () => {
    const preset = presets[presetSelect.value];
    if (!preset) return;
    for (const [name, value] of Object.entries(preset.fields)) {
      const field = form.elements.namedItem(name);
      if (field) field.value = value;
    }
    form.dispatchEvent(new Event("change"));
  });
}

const previewUrl = form && form.dataset.previewUrl;
if (previewUrl) {
  const output = document.getElementById("preview-output");
  const status = document.getElementById("preview-status");
  const errors = document.getElementById("preview-errors");
  let timer = null;
  let latest = 0;

  async function refresh() {
    const ticket = ++latest;
    const body = new FormData(form);
    if (form.dataset.formatId) body.set("format_id", form.dataset.formatId);
    status.textContent = "Updating…";
    try {
      const response = await fetch(previewUrl, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        credentials: "same-origin",
      });
      if (ticket !== latest) return;
      if (!response.ok) throw new Error(`The preview failed (HTTP ${response.status}).`);
      const data = await response.json();
      output.textContent = data.lines.join("\n") + (data.truncated ? "\n…" : "");
      const messages = Object.entries(data.errors).flatMap(([field, list]) => list.map((m) => `${field}: ${m}`));
      errors.textContent = messages.join(" ");
      const check = document.getElementById("preview-check");
      check.hidden = !data.check.message;
      check.textContent = data.check.message;
      check.className = `small ${data.check.ok === false ? "text-danger" : "text-success"}`;
      check.dataset.ok = String(data.check.ok);
      status.textContent = `${data.annotations} annotation${data.annotations === 1 ? "" : "s"} previewed.`;
    } catch (error) {
      if (ticket === latest) status.textContent = error.message;
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
}
