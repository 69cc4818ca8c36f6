// The drawing tools as one state machine per canvas (no DOM): what a press, move, release, double
// click or key does to the selection, for every vector type.
//
// Exports:
//   ShapeEditor   new ShapeEditor({vectorType, nodeCount, imageWidth, imageHeight})
//   CLICK_SLOP    screen pixels a press may move and still count as a click
//   VERTEX_RADIUS screen pixels within which a vertex or handle is grabbed
//
// The selection is the one shape being drawn or edited: {points, closed, key}. ``closed`` means
// finished (a box after its drag, a polygon after closing, …); ``key`` is the uuid of the existing
// annotation being edited, or null for a new shape. Coordinates are integer image pixels.
//
// Events take {image: {x, y} (integer image pixels, inside), screen: {x, y}, view} and return
// {redraw, select?: key, finished?: bool, cancelled?: bool}:
//   - ``select`` asks the page to load that existing annotation (edit(key, points) afterwards);
//   - ``finished`` tells that a drawing has just been completed.
// ``takeChange()`` returns {before, after} snapshots when the selection changed since it was last
// called outside a gesture (for undo), or null.
//
// Behaviour:
//   box        press-drag draws; handles resize; dragging inside the selection moves it; a click
//              (no drag) on an existing box selects it.
//   point      a click places it; dragging the selected point moves it.
//   line       click, click (or press-drag-release); the rubber band follows the cursor.
//   multi-line clicks add vertices; Enter, Esc or a double click finishes (≥ 2 vertices); a fixed
//              node count finishes by itself.
//   polygon    clicks add vertices; a fixed node count closes by itself; otherwise a click on the
//              first vertex (≥ 3 vertices), Enter or a double click closes it.
//   finished shapes: drag a vertex to move it, drag the outline/inside to move the whole shape.
//   snapping: while drawing, placing a vertex or dragging a vertex/handle, the point is pulled onto a
//   vertex of another label or an image edge (snapping.js) when ``snapSource`` is set and the event
//   has ``snap`` not false (the page sends false while Alt is held); ``snapTarget`` is what it
//   snapped to (for the page to show), null otherwise. Moving a whole shape does not snap.
//   i/j/k/l nudge by 1 px; with Shift a box is resized (see geometry.resizeBox). Backspace removes
//   the last vertex while drawing. Esc cancels a drawing, or drops the selection.

import {
  VECTOR_TYPE,
  dragBoxHandle,
  hitBoxHandle,
  hitShape,
  hitVertex,
  normalizeBox,
  nudge,
  pickShape,
  resizeBox,
  samePoint,
  validateShape,
} from "./geometry.js";
import { snapPoint } from "./snapping.js";

export const CLICK_SLOP = 3;
export const VERTEX_RADIUS = 7;
// A fingertip covers far more than a mouse pointer: with touch, vertices and handles are grabbed from further.
export const TOUCH_VERTEX_RADIUS = 22;

/** The grab radius for ``event`` (``event.touch``: the pointer is a finger). */
export function grabRadius(event) {
  return event && event.touch ? TOUCH_VERTEX_RADIUS : VERTEX_RADIUS;
}
const SHAPE_TOLERANCE = 5;

const copyPoints = (points) => points.map((p) => ({ x: p.x, y: p.y }));

export class ShapeEditor {
  constructor({ vectorType, nodeCount = 0, imageWidth, imageHeight }) {
    this.vectorType = vectorType;
    this.nodeCount = nodeCount || 0;
    this.imageWidth = imageWidth;
    this.imageHeight = imageHeight;
    this.selection = null; // {points, closed, key}
    this.original = null; // points of the edited annotation as loaded (for reset)
    this.drag = null;
    this.cursor = null;
    this.shapes = []; // existing annotations of this type: [{key, points, z?}]
    this.snapSource = null; // () -> [{x, y, key}]: the vertices to snap to (the page's labels)
    this.snapTarget = null; // {kind, x, y} the last point snapped to, or null
    this.committed = this.snapshot();
  }

  // --- state ---------------------------------------------------------------------------------------

  setType(vectorType, nodeCount = 0) {
    this.vectorType = vectorType;
    this.nodeCount = nodeCount || 0;
    this.clear();
  }

  setImage(imageWidth, imageHeight) {
    this.imageWidth = imageWidth;
    this.imageHeight = imageHeight;
  }

  setShapes(shapes) {
    this.shapes = shapes;
  }

  get drawing() {
    return Boolean(this.selection && !this.selection.closed);
  }

  get editingKey() {
    return this.selection ? this.selection.key : null;
  }

  snapshot() {
    const s = this.selection;
    return s ? { points: copyPoints(s.points), closed: s.closed, key: s.key } : null;
  }

  restore(snapshot) {
    this.drag = null;
    this.selection = snapshot ? { points: copyPoints(snapshot.points), closed: snapshot.closed, key: snapshot.key } : null;
    this.committed = this.snapshot();
  }

  /** Start editing an existing annotation (its key and points). */
  edit(key, points) {
    this.drag = null;
    this.selection = { points: copyPoints(points), closed: true, key };
    this.original = copyPoints(points);
  }

  /** A finished, unsaved shape (e.g. "keep selection for next image"). */
  place(points) {
    this.drag = null;
    this.selection = { points: copyPoints(points), closed: true, key: null };
    this.original = null;
  }

  clear() {
    this.drag = null;
    this.selection = null;
    this.original = null;
  }

  /** Points of a finished selection, or null. */
  finishedPoints() {
    return this.selection && this.selection.closed ? copyPoints(this.selection.points) : null;
  }

  /** Why the selection cannot be saved, or null. */
  problem() {
    if (!this.selection) return "Draw a shape first.";
    if (!this.selection.closed) return "Finish the shape first.";
    return validateShape(this.vectorType, this.nodeCount, this.selection.points, this.imageWidth, this.imageHeight);
  }

  takeChange() {
    if (this.drag) return null;
    const after = this.snapshot();
    if (JSON.stringify(after) === JSON.stringify(this.committed)) return null;
    const before = this.committed;
    this.committed = after;
    return { before, after };
  }

  /** What draw.drawSelection needs. */
  selectionForDraw() {
    if (!this.selection) return null;
    const box = this.vectorType === VECTOR_TYPE.BOX;
    return {
      vectorType: this.vectorType,
      points: this.selection.points,
      closed: this.selection.closed,
      cursor: this.drawing ? this.cursor : null,
      handles: box ? (this.selection.closed ? "box" : null) : "vertices",
    };
  }

  // --- pointer -------------------------------------------------------------------------------------

  /** The event's image point, snapped (see the header) unless the event says ``snap: false``. */
  _snap(event) {
    this.snapTarget = null;
    if (!this.snapSource || event.snap === false) return event.image;
    const exclude = this.selection ? this.selection.key : null;
    const result = snapPoint(event.image, event.view, this.snapSource(), this.imageWidth, this.imageHeight, undefined, exclude);
    this.snapTarget = result.target;
    return result.point;
  }

  pointerDown(event) {
    const { screen, view } = event;
    const image = this._snap(event);
    this.cursor = image;
    const selection = this.selection;
    const start = { image, screen };
    if (this.drawing) {
      this.drag = { kind: "place", start };
      return { redraw: false };
    }
    if (selection && selection.closed) {
      if (this.vectorType === VECTOR_TYPE.BOX) {
        const handle = hitBoxHandle(selection.points, view, screen, grabRadius(event));
        if (handle) {
          this.drag = { kind: "handle", handle, start, from: copyPoints(selection.points) };
          return { redraw: true };
        }
      } else {
        const vertex = hitVertex(selection.points, view, screen, grabRadius(event));
        if (vertex >= 0) {
          this.drag = { kind: "vertex", vertex, start, from: copyPoints(selection.points) };
          return { redraw: true };
        }
      }
      if (hitShape(this.vectorType, selection.points, view, screen, SHAPE_TOLERANCE)) {
        this.snapTarget = null;
        this.drag = { kind: "move", start: { image: event.image, screen }, from: copyPoints(selection.points) };
        return { redraw: true };
      }
    }
    const others = this.shapes.filter((shape) => !selection || shape.key !== selection.key);
    const typed = others.map((shape) => ({ key: shape.key, points: shape.points, vectorType: this.vectorType, z: shape.z }));
    const picked = pickShape(typed, view, screen, SHAPE_TOLERANCE);
    this.drag = { kind: "new", start, pick: picked >= 0 ? others[picked].key : null, before: this.snapshot() };
    return { redraw: false };
  }

  pointerMove(event) {
    const { screen } = event;
    const drag = this.drag;
    const snapping = drag ? drag.kind !== "move" : this.drawing;
    const image = snapping ? this._snap(event) : event.image;
    if (!snapping) this.snapTarget = null;
    this.cursor = image;
    if (!drag) return { redraw: true };
    const moved = Math.hypot(screen.x - drag.start.screen.x, screen.y - drag.start.screen.y) > CLICK_SLOP;
    if (drag.kind === "new" && moved && !drag.started) {
      if (this.vectorType === VECTOR_TYPE.BOX || this.vectorType === VECTOR_TYPE.LINE) {
        drag.started = true;
        this.selection = { points: [drag.start.image, image], closed: false, key: null };
        this.original = null;
      }
    }
    if (drag.kind === "new" && drag.started) {
      const points = [drag.start.image, image];
      this.selection.points = this.vectorType === VECTOR_TYPE.BOX ? normalizeBox(points) : points;
    } else if (drag.kind === "handle" && moved) {
      this.selection.points = dragBoxHandle(drag.from, drag.handle, image);
    } else if (drag.kind === "vertex" && moved) {
      this.selection.points = drag.from.map((p, index) => (index === drag.vertex ? { ...image } : { ...p }));
    } else if (drag.kind === "move" && moved) {
      const dx = image.x - drag.start.image.x;
      const dy = image.y - drag.start.image.y;
      this.selection.points = nudge(drag.from, dx, dy, this.imageWidth, this.imageHeight);
    }
    return { redraw: true };
  }

  pointerUp(event) {
    const { screen, view } = event;
    const drag = this.drag;
    const image = drag && drag.kind !== "move" ? this._snap(event) : event.image;
    this.snapTarget = null;
    this.cursor = image;
    this.drag = null;
    if (!drag) return { redraw: false };
    const moved = Math.hypot(screen.x - drag.start.screen.x, screen.y - drag.start.screen.y) > CLICK_SLOP;
    if (drag.kind === "place") return this._addVertex(image, screen, view, grabRadius(event));
    if (drag.kind === "new") {
      if (drag.started) {
        const points = this.selection.points;
        if (this.vectorType === VECTOR_TYPE.BOX) {
          const [a, b] = normalizeBox(points);
          if (a.x === b.x || a.y === b.y) {
            this.restore(drag.before);
            return { redraw: true, cancelled: true };
          }
          this.selection = { points: [a, b], closed: true, key: null };
          return { redraw: true, finished: true };
        }
        if (samePoint(points[0], points[1])) {
          this.selection = { points: [points[0]], closed: false, key: null };
          return { redraw: true };
        }
        this.selection = { points: copyPoints(points), closed: true, key: null };
        return { redraw: true, finished: true };
      }
      if (moved) return { redraw: true };
      if (drag.pick !== null) return { redraw: true, select: drag.pick };
      if (this.vectorType === VECTOR_TYPE.BOX) return { redraw: true };
      this.original = null;
      if (this.vectorType === VECTOR_TYPE.POINT) {
        this.selection = { points: [image], closed: true, key: null };
        return { redraw: true, finished: true };
      }
      this.selection = { points: [image], closed: false, key: null };
      return { redraw: true };
    }
    // handle, vertex and move drags changed the selection in pointerMove already
    return { redraw: true };
  }

  doubleClick() {
    if (!this.drawing) return { redraw: false };
    return this._finish();
  }

  _addVertex(image, screen, view, radius = VERTEX_RADIUS) {
    const points = this.selection.points;
    const type = this.vectorType;
    if (type === VECTOR_TYPE.POLYGON && !this.nodeCount && points.length >= 3) {
      if (hitVertex([points[0]], view, screen, radius) === 0) return this._finish();
    }
    if (samePoint(points[points.length - 1], image)) return { redraw: false };
    points.push(image);
    const full =
      (type === VECTOR_TYPE.LINE && points.length === 2) ||
      (this.nodeCount && (type === VECTOR_TYPE.POLYGON || type === VECTOR_TYPE.MULTI_LINE) && points.length === this.nodeCount);
    if (full) {
      this.selection.closed = true;
      return { redraw: true, finished: true };
    }
    return { redraw: true };
  }

  _finish() {
    const count = this.selection.points.length;
    const type = this.vectorType;
    const enough = type === VECTOR_TYPE.POLYGON ? count >= 3 : count >= 2;
    if (!enough || (this.nodeCount && count !== this.nodeCount)) return { redraw: false };
    this.selection.closed = true;
    return { redraw: true, finished: true };
  }

  /** Drop the drag in progress as if it had not begun (Esc, or a second finger that turns it into a
   * pinch); false when there is none. A polygon or multi-line being drawn keeps its placed vertices. */
  cancelDrag() {
    const drag = this.drag;
    if (!drag) return false;
    this.drag = null;
    this.snapTarget = null;
    if (drag.from) this.selection.points = drag.from;
    else if (drag.before !== undefined && drag.started) this.restore(drag.before);
    return true;
  }

  // --- keys ----------------------------------------------------------------------------------------

  /** ``key``: "Escape", "Enter", "Backspace", or "i"/"j"/"k"/"l" (lower case) with {shift}. */
  key(key, { shift = false } = {}) {
    if (key === "Escape") {
      if (this.cancelDrag()) return { redraw: true, handled: true };
      if (this.drawing) {
        if (this.vectorType === VECTOR_TYPE.MULTI_LINE) {
          const result = this._finish();
          if (result.finished) return { ...result, handled: true };
        }
        this.selection = null;
        return { redraw: true, cancelled: true, handled: true };
      }
      if (this.selection) {
        this.clear();
        return { redraw: true, cancelled: true, handled: true };
      }
      return { redraw: false, handled: false };
    }
    if (key === "Enter") {
      if (!this.drawing) return { redraw: false, handled: false };
      return { ...this._finish(), handled: true };
    }
    if (key === "Backspace") {
      if (!this.drawing) return { redraw: false, handled: false };
      this.selection.points.pop();
      if (this.selection.points.length === 0) this.selection = null;
      return { redraw: true, handled: true };
    }
    const moves = { i: [0, -1], k: [0, 1], j: [-1, 0], l: [1, 0] };
    if (key in moves) {
      if (!this.selection || !this.selection.closed || this.drag) return { redraw: false, handled: true };
      if (shift) {
        if (this.vectorType !== VECTOR_TYPE.BOX) return { redraw: false, handled: true };
        this.selection.points = resizeBox(this.selection.points, key, this.imageWidth, this.imageHeight);
      } else {
        const [dx, dy] = moves[key];
        this.selection.points = nudge(this.selection.points, dx, dy, this.imageWidth, this.imageHeight);
      }
      return { redraw: true, handled: true };
    }
    return { redraw: false, handled: false };
  }
}
