// Two fingers on a canvas: pinch to zoom about their midpoint and move them together to pan.
//
//   const fingers = new TwoFingers();
//   fingers.down(pointerId, screenPoint, view) -> true when this finger starts a pinch (the second one)
//   fingers.move(pointerId, screenPoint)       -> the view to show during a pinch, or null
//   fingers.up(pointerId)                      -> true when the finger belonged to a pinch
//   fingers.active                             -> a pinch is going on (until every finger is lifted)
//
// Pure: the pages feed it touch pointers (pointerType "touch") and show the views it answers.
import { pinchView } from "./geometry.js";

export class TwoFingers {
  constructor() {
    this.points = new Map(); // pointerId -> screen point
    this.start = null; // {view, points: [a, b]} while a pinch lasts
  }

  get active() {
    return this.start !== null;
  }

  down(pointerId, point, view) {
    this.points.set(pointerId, point);
    if (this.start || this.points.size !== 2) return false;
    this.start = { view, points: [...this.points.values()] };
    return true;
  }

  move(pointerId, point) {
    if (!this.points.has(pointerId)) return null;
    this.points.set(pointerId, point);
    if (!this.start || this.points.size < 2) return null;
    const [a, b] = this.points.values();
    return pinchView(this.start.view, this.start.points, [a, b]);
  }

  up(pointerId) {
    const known = this.points.delete(pointerId);
    if (!this.start) return false;
    if (this.points.size === 0) this.start = null;
    return known;
  }
}
