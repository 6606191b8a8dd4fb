// One error class for the whole JS core (spec/errors.md): a stable `code`,
// a human-readable reason, the `field` that was wrong and, for byte-level
// faults, the byte `offset`.

export class CoreError extends Error {
  constructor(code, reason, { field = null, offset = null } = {}) {
    const where = [];
    if (field !== null && field !== undefined) where.push(`field ${field}`);
    if (offset !== null && offset !== undefined) where.push(`byte offset ${offset}`);
    super(where.length ? `${reason} (${where.join(", ")})` : reason);
    this.name = "CoreError";
    this.code = code;
    this.reason = reason;
    this.field = field ?? null;
    this.offset = offset ?? null;
  }
}

// Codes of the decode_error family (spec/errors.md, "Grouping codes").
export const DECODE_CODES = new Set([
  "truncated", "trailing_bytes", "non_canonical", "forbidden_type",
  "invalid_utf8", "map_key_order", "too_deep",
]);
export const SCHEMA_CODES = new Set(["wrong_type", "wrong_length", "out_of_range", "not_sorted"]);

// A local error: the caller misused the API (a bug, never sent on the wire).
export function localError(reason, field = null) {
  return new CoreError("local_error", reason, { field });
}
