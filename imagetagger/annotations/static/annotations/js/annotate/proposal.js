// "Keep selection for next image" (off by default, remembered per user in localStorage once changed):
// what was saved on the image left with f or a comes to the next image as a PROPOSAL — drawn dashed
// (overlays.js) with a banner, not saved. One key saves it (Enter or v, or the banner's button); Esc
// drops it; moving on (f, d, a, s, a click in the image list) drops it too, so nothing is ever saved
// on an image the labeler has not looked at.

import { clampPoint, pointsToVector, validateShape } from "../geometry.js";
import { attributesForNew } from "./attrpanel.js";
import { markDirty } from "./canvasview.js";
import { renderAnnotationList } from "./labellist.js";
import { $, canAnnotate, config, currentType, newUuid, showMessage, state, typeById } from "./page.js";
import { createRecord } from "./records.js";
import { onTypeChanged, renderUndoButtons } from "./typepicker.js";

const KEEP_KEY = `imagetagger.keepSelection.${config.user}`;

function stored() {
  try {
    return window.localStorage.getItem(KEEP_KEY);
  } catch {
    return null;
  }
}

const remembered = stored();
$("#keep-selection").prop("checked", remembered === "1");
$("#keep-selection").on("change", function onKeepChange() {
  try {
    window.localStorage.setItem(KEEP_KEY, this.checked ? "1" : "0");
  } catch {
    // storage refused: the choice holds for this page only
  }
  if (!this.checked) dropProposal();
});

export function keepSelection() {
  return $("#keep-selection").prop("checked");
}

/** Offer ``keep`` ({typeId, points|null, concealed, blurred}, saved on the previous image) as a proposal. */
export function offerProposal(keep) {
  state.proposal = null;
  if (!keep || !canAnnotate || !typeById.has(keep.typeId)) return renderProposal();
  const type = typeById.get(keep.typeId);
  let points = null;
  if (keep.points) {
    points = keep.points.map((p) => clampPoint(p, state.image.width, state.image.height));
    if (validateShape(type.vector_type, type.node_count, points, state.image.width, state.image.height)) return renderProposal();
  }
  if (keep.typeId !== currentType()?.id) {
    $("#annotation-type").val(String(keep.typeId));
    onTypeChanged();
  }
  state.proposal = { typeId: keep.typeId, points, concealed: Boolean(keep.concealed), blurred: Boolean(keep.blurred) };
  renderProposal();
}

export function dropProposal() {
  if (!state.proposal) return false;
  state.proposal = null;
  renderProposal();
  return true;
}

/** Save the proposal as a new label (through the outbox, with undo); false when there is none. */
export function acceptProposal() {
  const proposal = state.proposal;
  if (!proposal) return false;
  const type = typeById.get(proposal.typeId);
  const attributes = attributesForNew(type);
  if (attributes === null) {
    showMessage(`Fill in the attributes of the new ${type.name} label first (beside the image).`, "warning");
    return true;
  }
  const vector = proposal.points ? pointsToVector(proposal.points) : null;
  const record = {
    uuid: newUuid(),
    typeId: type.id,
    vector,
    concealed: Boolean(proposal.points) && type.enable_concealed && proposal.concealed,
    blurred: Boolean(proposal.points) && type.enable_blurred && proposal.blurred,
    attributes,
  };
  createRecord(record);
  state.history.push({ kind: "create", record: { ...record } });
  state.lastSaved = { typeId: type.id, points: proposal.points, concealed: record.concealed, blurred: record.blurred };
  state.proposal = null;
  renderProposal();
  renderAnnotationList();
  renderUndoButtons();
  return true;
}

export function renderProposal() {
  const proposal = state.proposal;
  $("#proposal-banner").prop("hidden", !proposal);
  if (proposal) {
    const name = typeById.get(proposal.typeId)?.name ?? "?";
    const what = proposal.points ? `the ${name} label` : `“${name} not in the image”`;
    $("#proposal-text").text(`Kept from the last image, not saved: ${what}. Enter or v saves it here; Esc drops it.`);
  }
  document.body.dataset.proposal = proposal ? "shown" : "";
  markDirty();
}

$("#proposal-accept").on("click", () => acceptProposal());
$("#proposal-drop").on("click", () => dropProposal());
