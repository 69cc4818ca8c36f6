// The workspace's layout (annotate.css draws it; this wires it): the app fills the window below the
// navigation bar (--app-top); on desktops the image list collapses to a button (remembered in
// localStorage); below 1200 px the image list, below 768 px also the object panel, are Bootstrap
// offcanvas drawers (Esc closes them, focus goes in and comes back); the phone's bottom bar saves,
// moves between images, picks the type and undoes.

import { saveAndGo, save, undo } from "./editing.js";
import { renderImageList, step } from "./navigation.js";
import { $, canAnnotate, config } from "./page.js";

const app = document.getElementById("annotate-app");
const COLLAPSE_KEY = `imagetagger.annotate.listCollapsed.${config.user}`;

export function measureTop() {
  const top = app.getBoundingClientRect().top + window.scrollY;
  app.style.setProperty("--app-top", `${Math.round(top)}px`);
}

measureTop();
window.addEventListener("resize", measureTop);

// --- the image list: collapsible on desktops, a drawer below 1200 px ---------------------------------------

function setCollapsed(collapsed, remember = true) {
  app.classList.toggle("list-collapsed", collapsed);
  const button = document.getElementById("image-list-toggle");
  const label = collapsed ? "Show the image list" : "Hide the image list";
  button.setAttribute("aria-expanded", collapsed ? "false" : "true");
  button.title = label;
  button.querySelector(".visually-hidden").textContent = label;
  if (remember) {
    try {
      window.localStorage.setItem(COLLAPSE_KEY, collapsed ? "1" : "0");
    } catch {
      // storage refused: collapsed for this page only
    }
  }
  if (!collapsed) renderImageList(true);
}

function storedCollapsed() {
  try {
    return window.localStorage.getItem(COLLAPSE_KEY) === "1";
  } catch {
    return false;
  }
}

setCollapsed(storedCollapsed(), false);
$("#image-list-toggle").on("click", () => setCollapsed(!app.classList.contains("list-collapsed")));

const imageDrawer = document.getElementById("image-drawer");
imageDrawer.addEventListener("shown.bs.offcanvas", () => {
  renderImageList(true);
  (imageDrawer.querySelector(".image-list-row.active") || document.getElementById("image-filter")).focus?.({ preventScroll: true });
});
// Choosing an image in the drawer closes it, so that the image shows.
$("#image-list").on("click", ".image-list-row[data-image-id]", () => {
  if (imageDrawer.classList.contains("show")) window.bootstrap.Offcanvas.getOrCreateInstance(imageDrawer).hide();
});
document.getElementById("object-panel").addEventListener("shown.bs.offcanvas", (event) => {
  const first = event.target.querySelector(".list-group-item.active, .list-group-item, .btn-close");
  first?.focus({ preventScroll: true });
});

// Back to the canvas when a drawer closes by itself (Bootstrap returns focus to the opener otherwise).
for (const drawer of [imageDrawer, document.getElementById("object-panel")]) {
  drawer.addEventListener("hidden.bs.offcanvas", () => {
    if (!document.activeElement || document.activeElement === document.body) {
      document.getElementById("annotate-canvas").focus({ preventScroll: true });
    }
  });
}

// The Esc that closes a drawer is not for the image; Esc closes a drawer even while it slides in
// (before the focus has moved into it).
for (const drawer of [imageDrawer, document.getElementById("object-panel")]) {
  drawer.addEventListener("keydown", (event) => {
    if (event.key === "Escape") event.stopPropagation();
  });
}
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const drawer of [imageDrawer, document.getElementById("object-panel")]) {
    if ((drawer.classList.contains("show") || drawer.classList.contains("showing")) && !drawer.contains(event.target)) {
      window.bootstrap.Offcanvas.getOrCreateInstance(drawer).hide();
    }
  }
});

// --- the phone's bottom bar ------------------------------------------------------------------------------

$("#bottom-save").on("click", () => save({ proposal: true }));
$("#bottom-next").on("click", () => (canAnnotate ? saveAndGo(1) : step(1)));
$("#bottom-previous").on("click", () => (canAnnotate ? saveAndGo(-1) : step(-1)));
$("#bottom-undo").on("click", () => undo());
