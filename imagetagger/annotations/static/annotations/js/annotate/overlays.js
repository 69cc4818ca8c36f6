// What is drawn over the scene every frame without touching the shape layer: the label under the
// pointer or the object panel's mouse (on top, wider), and the proposal — a kept selection shown
// dashed until the labeler saves it (Enter or v) or moves on (proposal.js).

import { drawShapes } from "../draw.js";
import { colorOf } from "./legend.js";
import { isVisible, state, typeById } from "./page.js";

export function drawOverlays(ctx) {
  const shapes = [];
  const hovered = state.hover ? state.records.get(state.hover) : null;
  if (hovered && hovered.points && isVisible(hovered) && hovered.uuid !== state.highlight) {
    const type = typeById.get(hovered.typeId);
    if (type) {
      shapes.push({
        id: hovered.uuid,
        vectorType: type.vector_type,
        points: hovered.points,
        color: colorOf(hovered.typeId),
        machine: hovered.machine,
        current: true,
      });
    }
  }
  const proposal = state.proposal;
  if (proposal && proposal.points && typeById.has(proposal.typeId)) {
    shapes.push({
      id: "proposal",
      vectorType: typeById.get(proposal.typeId).vector_type,
      points: proposal.points,
      color: colorOf(proposal.typeId),
      machine: true, // dashed: not saved
      current: true,
    });
  }
  if (shapes.length) drawShapes(ctx, state.view, shapes, { fillAlpha: state.fillAlpha }); // the view tools' fill opacity
}
