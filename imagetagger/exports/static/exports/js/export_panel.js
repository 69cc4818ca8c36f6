// The set page's export panel: while an export is queued or running, poll the set's exports and
// update state and progress; reload the panel's list when one finishes (download link, report).
import { applyDataStyles } from "../../base/js/site.js";

const panel = document.getElementById("exports");

function update(exports) {
  let finished = false;
  for (const item of exports) {
    const row = panel.querySelector(`[data-export-id="${item.id}"]`);
    if (!row) {
      finished = true; // a new export (made in another tab): show it
      continue;
    }
    if (row.dataset.state !== item.state && ["done", "failed"].includes(item.state)) finished = true;
    const bar = row.querySelector(".progress");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(item.progress));
      const inner = bar.querySelector(".progress-bar");
      inner.style.width = `${item.progress}%`;
      inner.textContent = `${item.progress}%`;
    }
    row.querySelector(".export-state").textContent = item.state;
  }
  return finished;
}

async function poll() {
  try {
    const response = await fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const body = await response.json();
      if (update(body.exports)) {
        const page = await fetch(window.location.href);
        const html = new DOMParser().parseFromString(await page.text(), "text/html");
        const fresh = html.getElementById("export-list");
        if (fresh) {
          document.getElementById("export-list").replaceWith(fresh);
          applyDataStyles(fresh);
        }
      }
      if (!body.exports.some((item) => ["queued", "running"].includes(item.state))) return;
    }
  } catch (error) {
    // Network trouble: try again later.
  }
  window.setTimeout(poll, 2000);
}

if (panel && panel.dataset.unfinished === "true") window.setTimeout(poll, 1000);
