// The upload panel of the set page (images/includes/upload_panel.html).
//
// Files are chosen with the file input or dropped on the panel, then sent one request per file
// (XMLHttpRequest, for upload progress), one after the other. Each file gets a progress bar and its
// result: added / duplicate / refused with the reason; an archive gets a summary and the list of its
// files that were not added. When images were added, the image grid of the page is reloaded and
// "imagetagger:images-changed" is dispatched on document (the zip panel listens to it).

const STATUS_CLASSES = { added: "text-bg-success", duplicate: "text-bg-secondary", refused: "text-bg-danger" };

function formatSize(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setProgress(progress, percent, { striped = false, variant = "" } = {}) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  progress.setAttribute("aria-valuenow", String(value));
  const bar = progress.querySelector(".progress-bar");
  bar.style.width = `${value}%`;
  bar.classList.toggle("progress-bar-striped", striped);
  bar.classList.toggle("progress-bar-animated", striped);
  bar.classList.remove("bg-success", "bg-danger", "bg-warning");
  if (variant) bar.classList.add(variant);
}

function makeProgress(label) {
  const progress = element("div", "progress mt-1");
  progress.setAttribute("role", "progressbar");
  progress.setAttribute("aria-label", label);
  progress.setAttribute("aria-valuemin", "0");
  progress.setAttribute("aria-valuemax", "100");
  progress.setAttribute("aria-valuenow", "0");
  progress.style.height = "0.5rem";
  const bar = element("div", "progress-bar");
  bar.style.width = "0%";
  progress.append(bar);
  return progress;
}

function badge(status) {
  return element("span", `badge ${STATUS_CLASSES[status] || "text-bg-secondary"}`, status);
}

/** Send one file; resolves with {status, data} (never rejects: failures become a detail text). */
function sendFile(url, token, file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const body = new FormData();
    body.append("files", file, file.name);
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.upload.addEventListener("load", () => onProgress(file.size, file.size, true));
    xhr.addEventListener("load", () => {
      let data = xhr.response;
      if (xhr.responseURL && new URL(xhr.responseURL).pathname.startsWith("/user/login")) {
        resolve({ status: 401, data: { detail: "You are no longer logged in. Log in again and retry." } });
        return;
      }
      if (!data || typeof data !== "object") {
        const texts = {
          403: "You may not upload to this set.",
          404: "This image set does not exist anymore.",
          413: "The file is too large for the server.",
        };
        data = { detail: texts[xhr.status] || `The server answered ${xhr.status}.` };
      }
      resolve({ status: xhr.status, data });
    });
    xhr.addEventListener("error", () => resolve({ status: 0, data: { detail: "The upload failed (network error)." } }));
    xhr.addEventListener("abort", () => resolve({ status: 0, data: { detail: "The upload was cancelled." } }));
    xhr.send(body);
  });
}

function setUpUploadPanel(panel) {
  const url = panel.dataset.uploadUrl;
  const form = panel.querySelector("#upload-form");
  const input = panel.querySelector("#upload-input");
  const button = panel.querySelector("#upload-button");
  const clearButton = panel.querySelector("#upload-clear");
  const selection = panel.querySelector("#upload-selection");
  const dropzone = panel.querySelector("#upload-dropzone");
  const list = panel.querySelector("#upload-files");
  const overall = panel.querySelector("#upload-overall");
  const overallBar = panel.querySelector("#upload-overall-bar");
  const statusText = panel.querySelector("#upload-status");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  const queue = []; // {file, row, progress, result, loaded, state: "pending" | "sending" | "done"}
  let running = false;
  let addedTotal = 0;

  function pending() {
    return queue.filter((item) => item.state === "pending");
  }

  function refreshControls() {
    const waiting = pending().length;
    button.disabled = running || waiting === 0;
    clearButton.hidden = running || queue.length === 0;
    selection.textContent = waiting ? `${waiting} file(s) ready to upload` : "";
  }

  function refreshOverall() {
    const total = queue.reduce((sum, item) => sum + item.file.size, 0) || 1;
    const loaded = queue.reduce((sum, item) => sum + item.loaded, 0);
    const done = queue.filter((item) => item.state === "done").length;
    overall.hidden = queue.length === 0;
    setProgress(overallBar, (100 * loaded) / total, { striped: running });
    statusText.textContent = running
      ? `Uploading: ${done} of ${queue.length} file(s) done, ${formatSize(loaded)} of ${formatSize(total)} sent.`
      : statusText.textContent;
  }

  function addFiles(files) {
    for (const file of files) {
      const row = element("li", "border rounded p-2 mb-2 upload-file");
      const head = element("div", "d-flex justify-content-between gap-2");
      const name = element("span", "text-truncate fw-semibold upload-name", file.name);
      name.title = file.name;
      head.append(name);
      head.append(element("span", "small text-body-secondary text-nowrap", formatSize(file.size)));
      const progress = makeProgress(`Upload of ${file.name}`);
      const result = element("div", "small mt-1 upload-result", "Waiting");
      result.setAttribute("aria-live", "polite");
      row.append(head, progress, result);
      list.append(row);
      queue.push({ file, row, progress, result, loaded: 0, state: "pending" });
    }
    refreshControls();
    refreshOverall();
  }

  function showResults(item, status, data) {
    const { result, progress } = item;
    result.replaceChildren();
    const files = Array.isArray(data.files) ? data.files : null;
    if (!files) {
      setProgress(progress, 100, { variant: "bg-danger" });
      result.append(badge("refused"), " ", element("span", "text-danger", data.detail || `Error ${status}`));
      return { added: 0, failed: true };
    }
    const counts = { added: 0, duplicate: 0, refused: 0 };
    files.forEach((file) => {
      counts[file.status] = (counts[file.status] || 0) + 1;
    });
    const variant = counts.refused ? (counts.added ? "bg-warning" : "bg-danger") : "bg-success";
    setProgress(progress, 100, { variant });
    if (files.length === 1 && files[0].name === item.file.name) {
      result.append(badge(files[0].status));
      if (files[0].reason) result.append(" ", element("span", "", files[0].reason));
      return { added: counts.added, failed: false };
    }
    const parts = [];
    if (counts.added) parts.push(`${counts.added} added`);
    if (counts.duplicate) parts.push(`${counts.duplicate} duplicate(s) skipped`);
    if (counts.refused) parts.push(`${counts.refused} refused`);
    result.append(element("span", "", `${parts.join(", ") || "nothing to import"}.`));
    const others = files.filter((file) => file.status !== "added");
    if (others.length) {
      const details = element("details", "mt-1");
      details.append(element("summary", "", `Files not added (${others.length})`));
      const items = element("ul", "list-unstyled mb-0 ms-2");
      others.forEach((file) => {
        const line = element("li", "");
        line.append(badge(file.status), " ", element("span", "fw-semibold", file.name));
        if (file.reason) line.append(": ", element("span", "", file.reason));
        items.append(line);
      });
      details.append(items);
      result.append(details);
    }
    return { added: counts.added, failed: false };
  }

  async function reloadImages() {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      let replaced = false;
      for (const selector of ['section[aria-labelledby="images-heading"]', "#image-count"]) {
        const fresh = page.querySelector(selector);
        const current = document.querySelector(selector);
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
          replaced = true;
        }
      }
      if (!replaced) throw new Error("no image grid on this page");
      return true;
    } catch {
      return false;
    }
  }

  async function run() {
    if (running) return;
    running = true;
    let failures = 0;
    refreshControls();
    let item;
    while ((item = pending()[0])) {
      item.state = "sending";
      item.result.textContent = "Uploading…";
      const current = item;
      const { status, data } = await sendFile(url, token, current.file, (loaded, total, finished) => {
        current.loaded = total ? (current.file.size * loaded) / total : 0;
        setProgress(current.progress, total ? (100 * loaded) / total : 0, { striped: finished });
        if (finished) current.result.textContent = "Checking the images…";
        refreshOverall();
      });
      current.loaded = current.file.size;
      current.state = "done";
      const outcome = showResults(current, status, data);
      addedTotal += outcome.added;
      if (outcome.failed) failures += 1;
      refreshOverall();
    }
    running = false;
    refreshControls();
    setProgress(overallBar, 100, { variant: failures ? "bg-warning" : "bg-success" });
    let message = `Done: ${addedTotal} image(s) added.`;
    if (failures) message += ` ${failures} upload(s) failed.`;
    if (addedTotal) {
      document.dispatchEvent(new CustomEvent("imagetagger:images-changed"));
      const reloaded = await reloadImages();
      message += reloaded ? " The image list has been updated." : " Reload the page to see the new images.";
    }
    statusText.textContent = message;
  }

  input.addEventListener("change", () => {
    addFiles(input.files);
    input.value = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  clearButton.addEventListener("click", () => {
    queue.splice(0, queue.length);
    list.replaceChildren();
    addedTotal = 0;
    statusText.textContent = "";
    refreshControls();
    refreshOverall();
    input.focus();
  });
  for (const type of ["dragenter", "dragover"]) {
    panel.addEventListener(type, (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      dropzone.classList.add("border-primary");
    });
  }
  panel.addEventListener("dragleave", (event) => {
    if (!panel.contains(event.relatedTarget)) dropzone.classList.remove("border-primary");
  });
  panel.addEventListener("drop", (event) => {
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    dropzone.classList.remove("border-primary");
    addFiles(event.dataTransfer.files);
    button.focus();
  });
  window.addEventListener("beforeunload", (event) => {
    if (running) event.preventDefault();
  });
  refreshControls();
}

document.querySelectorAll("#upload-panel[data-upload-url]").forEach(setUpUploadPanel);
