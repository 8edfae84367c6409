/**
 * A version vector per item: node id → HLC of that node's latest write the state has seen.
 *
 * HLC strings are used as dot counters instead of integers so that a node whose database
 * was wiped, and which keeps its node id, can never reissue a dot that already exists
 * elsewhere: its next write carries a later wall time.
 */
export type VersionVector = Readonly<Record<string, string>>;

/** How two version vectors relate causally. */
export type CausalOrder = 'equal' | 'before' | 'after' | 'concurrent';

/** Whether every entry of `a` is covered by `b` (a happened before or equals b). */
export function vectorLeq(a: VersionVector, b: VersionVector): boolean {
  for (const node in a) {
    const other = b[node];
    if (other === undefined || other < a[node]!) return false;
  }
  return true;
}

/** Compares `a` with `b`: `'before'` means a happened before b. */
export function compareVectors(a: VersionVector, b: VersionVector): CausalOrder {
  const aLeqB = vectorLeq(a, b);
  const bLeqA = vectorLeq(b, a);
  if (aLeqB && bLeqA) return 'equal';
  if (aLeqB) return 'before';
  if (bLeqA) return 'after';
  return 'concurrent';
}

/** The pointwise maximum of two vectors, with keys sorted so equal vectors serialise equally. */
export function joinVectors(a: VersionVector, b: VersionVector): VersionVector {
  const out: Record<string, string> = {};
  for (const node of Object.keys({ ...a, ...b }).sort()) {
    const x = a[node];
    const y = b[node];
    out[node] = x === undefined ? y! : y === undefined || x >= y ? x : y;
  }
  return out;
}

/** `vector` with `node`'s entry set to `hlc`, keys sorted. */
export function advanceVector(vector: VersionVector, node: string, hlc: string): VersionVector {
  return joinVectors(vector, { [node]: hlc });
}

/** Whether two vectors hold exactly the same entries. */
export function vectorsEqual(a: VersionVector, b: VersionVector): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
