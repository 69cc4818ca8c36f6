// Set page: "select all on this page" for the image grid. Listeners sit on the document, so they
// keep working when upload.js replaces the grid after an upload.

function boxesOf(master) {
  return master.form.querySelectorAll(`input[type=checkbox][name="${master.dataset.selectAll}"]`);
}

document.addEventListener("change", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement) || !target.form) return;
  if (target.matches("input[data-select-all]")) {
    boxesOf(target).forEach((box) => {
      box.checked = target.checked;
    });
    return;
  }
  const master = target.form.querySelector("input[data-select-all]");
  if (!master || target.name !== master.dataset.selectAll) return;
  const all = [...boxesOf(master)];
  master.checked = all.length > 0 && all.every((box) => box.checked);
  master.indeterminate = !master.checked && all.some((box) => box.checked);
});
