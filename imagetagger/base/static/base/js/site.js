// Site-wide behaviour shared by every page.

/** The CSRF token of the page, for fetch() calls with session authentication. */
export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Whether a key press goes to a form field (page shortcuts must then do nothing). */
export function isTyping(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

/**
 * Fetch JSON from our API; throws an Error whose message is the server's "detail" on failure.
 */
export async function apiFetch(url, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (options.body !== undefined && !(options.body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    options = { ...options, body: JSON.stringify(options.body) };
  }
  if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrfToken();
  const response = await fetch(url, { credentials: "same-origin", ...options, headers });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error((data && data.detail) || `The server answered ${response.status}.`);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

/**
 * A Bootstrap alert with ``text`` on top of ``container``; at most ``keep`` are shown, each goes away after a
 * while (errors stay longer). Read out by screen readers (role alert for errors, status otherwise).
 */
export function showAlert(container, text, kind = "info", { keep = 4 } = {}) {
  const alert = document.createElement("div");
  alert.className = `alert alert-${kind}`;
  alert.setAttribute("role", kind === "danger" ? "alert" : "status");
  alert.textContent = text;
  container.prepend(alert);
  [...container.querySelectorAll(".alert")].slice(keep).forEach((old) => old.remove());
  setTimeout(() => alert.remove(), kind === "danger" ? 10_000 : 4000);
  return alert;
}

/** Every result of a paginated API list, following its "next" links. */
export async function apiFetchAll(url) {
  const results = [];
  while (url) {
    const data = await apiFetch(url);
    results.push(...data.results);
    url = data.next;
  }
  return results;
}

/**
 * Username autocomplete: an <input data-autocomplete-url="..."> gets suggestions in its <datalist>.
 * Requests are debounced and stale answers are dropped.
 */
function setUpAutocomplete(input) {
  const list = document.getElementById(input.getAttribute("list"));
  if (!list) return;
  let timer = null;
  let latest = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (!query) {
      list.replaceChildren();
      return;
    }
    timer = setTimeout(async () => {
      const ticket = ++latest;
      try {
        const url = `${input.dataset.autocompleteUrl}?q=${encodeURIComponent(query)}`;
        const data = await apiFetch(url);
        if (ticket !== latest) return;
        list.replaceChildren(
          ...data.suggestions.map((name) => Object.assign(document.createElement("option"), { value: name })),
        );
      } catch {
        list.replaceChildren();
      }
    }, 150);
  });
}

document.querySelectorAll("input[data-autocomplete-url]").forEach(setUpAutocomplete);

/**
 * Styles that depend on data, set from data attributes through the CSSOM (the Content-Security-Policy
 * forbids style="" attributes): data-swatch="#rrggbb" is the background colour, data-percent="n" the
 * width in per cent, data-type-color the --type-color property. Call again for HTML put into the page.
 */
export function applyDataStyles(root = document) {
  const within = (selector) => [...(root.matches?.(selector) ? [root] : []), ...root.querySelectorAll(selector)];
  for (const node of within("[data-swatch]")) node.style.backgroundColor = node.dataset.swatch;
  for (const node of within("[data-percent]")) node.style.width = `${node.dataset.percent}%`;
  for (const node of within("[data-type-color]")) node.style.setProperty("--type-color", node.dataset.typeColor);
}

applyDataStyles();
