/**
 * Node ids are ASCII so that JavaScript string order (UTF-16 code units) and SQLite's BINARY
 * collation (UTF-8 bytes) agree: HLC strings embed the id and are compared in both places.
 */
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Whether `value` is a valid node id: 1–64 ASCII letters, digits, `.`, `_`, `:` or `-`, starting alphanumeric. */
export function isValidNodeId(value: unknown): value is string {
  return typeof value === 'string' && NODE_ID_PATTERN.test(value);
}
