// The webhook page's delivery log follows pending deliveries: while any is pending, the log is
// fetched again every few seconds (the page itself, its #delivery-log swapped in), so a test event
// shows its answer without a reload. Opened "Body" details stay open.
const POLL_MS = 2000;
const MAX_POLLS = 150; // five minutes; a reload starts again

let polls = 0;

async function refresh() {
  const log = document.getElementById("delivery-log");
  if (!log || log.dataset.pending !== "true" || polls >= MAX_POLLS) {
    return;
  }
  polls += 1;
  try {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("delivery-log");
      if (fresh) {
        const open = new Set($(log).find("tr.delivery:has(details[open])").map((_, row) => row.dataset.delivery).get());
        $(fresh).find("tr.delivery").each((_, row) => {
          if (open.has(row.dataset.delivery)) {
            $(row).find("details").attr("open", "");
          }
        });
        log.replaceWith(fresh);
      }
    }
  } catch {
    // offline for a moment: try again next time
  }
  window.setTimeout(refresh, POLL_MS);
}

window.setTimeout(refresh, POLL_MS);
