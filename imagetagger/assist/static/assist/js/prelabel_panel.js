// The set page's pre-label panel: while a job is queued or running, poll the set's jobs (the API)
// and update its progress and counts; reload the panel's list when one ends (report, state).
import { applyDataStyles } from "../../base/js/site.js";

const panel = document.getElementById("prelabel-panel");
const ACTIVE = ["queued", "running"];

function counts(job) {
  const parts = [`${job.images_done} of ${job.images_total} images`, `${job.labels_made} label${job.labels_made === 1 ? "" : "s"} made`];
  if (job.labels_refused) parts.push(`${job.labels_refused} refused`);
  if (job.backend_errors) parts.push(`${job.backend_errors} backend error${job.backend_errors === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

function update(jobs) {
  let ended = false;
  for (const job of jobs) {
    const row = panel.querySelector(`[data-job-id="${job.id}"]`);
    if (!row) continue;
    if (ACTIVE.includes(row.dataset.state) && !ACTIVE.includes(job.state)) ended = true;
    const bar = row.querySelector(".progress");
    if (bar) {
      bar.setAttribute("aria-valuenow", String(job.percent));
      const inner = bar.querySelector(".progress-bar");
      inner.dataset.percent = String(job.percent);
      inner.textContent = `${job.percent}%`;
      applyDataStyles(bar);
    }
    row.querySelector(".job-counts").textContent = counts(job);
  }
  return ended;
}

async function reloadList() {
  const page = await fetch(window.location.href);
  const html = new DOMParser().parseFromString(await page.text(), "text/html");
  const fresh = html.getElementById("prelabel-jobs");
  if (fresh) {
    document.getElementById("prelabel-jobs").replaceWith(fresh);
    applyDataStyles(fresh);
  }
}

async function poll() {
  try {
    const response = await fetch(panel.dataset.jobsUrl, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const jobs = (await response.json()).results;
      if (update(jobs)) await reloadList();
      if (!jobs.some((job) => ACTIVE.includes(job.state))) return;
    }
  } catch (error) {
    // Network trouble: try again later.
  }
  window.setTimeout(poll, 1500);
}

if (panel && panel.dataset.active === "true") window.setTimeout(poll, 1000);
