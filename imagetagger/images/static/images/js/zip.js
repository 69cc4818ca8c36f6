// The zip panel of the set page: polls the archive's status while it is being built and turns the
// button into a download link once the archive is ready. Admins see the error of a failed build.
// Other scripts that change the set's images dispatch "imagetagger:images-changed" on document.

const POLL_FIRST_MS = 2000;
const POLL_MAX_MS = 15000;

function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function setUpZipPanel(panel) {
  const $panel = $(panel);
  const $button = $panel.find("#zip-download");
  const $label = $button.find(".zip-label");
  const $note = $panel.find("#zip-note");
  const $error = $panel.find("#zip-error");
  let timer = null;
  let delay = POLL_FIRST_MS;

  function render(status) {
    const ready = status.state === "ready";
    panel.dataset.state = status.state;
    if (status.download_url) $button.attr("href", status.download_url);
    $button.toggleClass("disabled", !ready);
    if (ready) {
      $button.removeAttr("aria-disabled tabindex");
    } else {
      $button.attr({ "aria-disabled": "true", tabindex: "-1" });
    }
    if (ready) {
      $label.text(`Download zip (${formatSize(status.size)})`);
      $note.text("");
    } else if (status.state === "empty") {
      $label.text("Download zip");
      $note.text("There are no images to download yet.");
    } else if (status.state === "failed") {
      $label.text("Download zip (preparing…)");
      $note.text("The archive could not be built yet; it is retried automatically.");
    } else {
      $label.text("Download zip (preparing…)");
      $note.empty().append(
        $('<span class="spinner-border spinner-border-sm" aria-hidden="true"></span>'),
        document.createTextNode(" The archive is being built; this page updates when it is ready."),
      );
    }
    if (status.error) {
      $error.find(".zip-error-text").text(status.error);
      $error.removeClass("d-none");
    } else {
      $error.addClass("d-none");
    }
  }

  function schedule() {
    clearTimeout(timer);
    const state = panel.dataset.state;
    if (state === "ready" || state === "empty") return;
    timer = setTimeout(poll, delay);
    delay = Math.min(delay * 1.5, POLL_MAX_MS);
  }

  async function poll() {
    if (document.hidden) {
      schedule();
      return;
    }
    try {
      const response = await fetch(panel.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) render(await response.json());
    } catch {
      // Offline for a moment: try again later.
    }
    schedule();
  }

  document.addEventListener("imagetagger:images-changed", () => {
    panel.dataset.state = "processing";
    delay = POLL_FIRST_MS;
    schedule();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && panel.dataset.state !== "ready" && panel.dataset.state !== "empty") {
      delay = POLL_FIRST_MS;
      schedule();
    }
  });
  schedule();
}

document.querySelectorAll("#zip-panel[data-status-url]").forEach(setUpZipPanel);
