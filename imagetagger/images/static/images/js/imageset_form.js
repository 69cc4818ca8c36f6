// Create/edit set forms: "public collaboration" only means something for public sets.

const isPublic = document.querySelector("input[name=public]");
const collaboration = document.querySelector("input[name=public_collaboration]");
if (isPublic && collaboration) {
  const sync = () => {
    collaboration.disabled = !isPublic.checked;
    if (!isPublic.checked) collaboration.checked = false;
  };
  isPublic.addEventListener("change", sync);
  sync();
}
