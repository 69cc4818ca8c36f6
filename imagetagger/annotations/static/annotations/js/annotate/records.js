// Records: the page's copy of an annotation (recordFrom), built from the API's objects plus the
// queued changes of the outbox, and the create/update/delete of records that queue those changes.

import { isMachineLooking } from "../draw.js";
import { vectorToPoints } from "../geometry.js";
import { outbox } from "./api.js";
import { config, state } from "./page.js";

export function recordFrom(annotation) {
  return {
    uuid: annotation.uuid,
    id: annotation.id,
    version: annotation.version,
    typeId: annotation.annotation_type.id,
    vector: annotation.vector,
    points: vectorToPoints(annotation.vector),
    concealed: annotation.concealed_flag,
    blurred: annotation.blurred_flag,
    attributes: annotation.attributes || {},
    machine: isMachineLooking(annotation),
    origin: annotation.origin || "human",
    accepts: annotation.accepts ?? 0,
    rejects: annotation.rejects ?? 0,
    score: annotation.score ?? (annotation.accepts ?? 0) - (annotation.rejects ?? 0),
    creator: annotation.creator ?? null,
    permissions: annotation.permissions || config.permissions,
    pending: false,
  };
}

export function fieldsOf(record) {
  return {
    annotation_type: record.typeId,
    vector: record.vector,
    concealed: record.concealed,
    blurred: record.blurred,
    attributes: record.attributes || {},
  };
}

export function applyFields(record, fields) {
  if ("annotation_type" in fields) record.typeId = fields.annotation_type;
  if ("vector" in fields) {
    record.vector = fields.vector;
    record.points = vectorToPoints(fields.vector);
  }
  if ("concealed" in fields) record.concealed = fields.concealed;
  if ("blurred" in fields) record.blurred = fields.blurred;
  if ("attributes" in fields) record.attributes = fields.attributes || {};
}

/** The image's tag record of ``typeId`` (tags: at most one per image and type), or undefined. */
export function tagRecord(typeId) {
  for (const record of state.records.values()) if (record.typeId === typeId && record.vector === null) return record;
  return undefined;
}

/** Records of an image: the server's annotations with the queued (unsent) changes applied. */
export function buildRecords(imageId, annotations) {
  const records = new Map(annotations.map((annotation) => [annotation.uuid, recordFrom(annotation)]));
  for (const op of outbox.opsFor(imageId)) {
    if (op.kind === "create") {
      const record = records.get(op.uuid) || {
        uuid: op.uuid,
        id: op.id,
        version: op.version,
        machine: false,
        permissions: config.permissions,
      };
      applyFields(record, op.fields);
      records.set(op.uuid, record);
    } else if (op.kind === "update") {
      const record = records.get(op.uuid);
      if (record) applyFields(record, op.fields);
    } else {
      records.delete(op.uuid);
    }
    const record = records.get(op.uuid);
    if (record) record.pending = true;
  }
  return records;
}

export function createRecord(record) {
  const copy = { ...record, points: vectorToPoints(record.vector), pending: true, id: null, version: null, machine: false };
  state.records.set(copy.uuid, copy);
  outbox.enqueue({
    kind: "create",
    uuid: copy.uuid,
    imageId: state.image.id,
    fields: {
      image: state.image.id,
      annotation_type: copy.typeId,
      vector: copy.vector,
      concealed: copy.concealed,
      blurred: copy.blurred,
      attributes: copy.attributes || {},
    },
  });
}

export function updateRecord(uuid, fields) {
  const record = state.records.get(uuid);
  if (!record) return;
  applyFields(record, fields);
  record.pending = true;
  outbox.enqueue({ kind: "update", uuid, imageId: state.image.id, id: record.id, version: record.version, fields });
}

export function deleteRecord(uuid) {
  const record = state.records.get(uuid);
  if (!record) return;
  state.records.delete(uuid);
  outbox.enqueue({ kind: "delete", uuid, imageId: state.image.id, id: record.id, version: record.version });
}

export function changedFields(record, fields) {
  const changed = {};
  const before = fieldsOf(record);
  for (const [name, value] of Object.entries(fields)) {
    if (JSON.stringify(before[name]) !== JSON.stringify(value)) changed[name] = value;
  }
  return changed;
}

/** Save the selection (or "not in image"): true when saved or nothing to save, false when refused. */
