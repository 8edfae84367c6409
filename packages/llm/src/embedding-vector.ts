/**
 * Shapes a raw embedding into what clients compare: the first `dimensions` components (all when
 * undefined), scaled to unit length (L2), as OpenAI's embeddings are. Truncating first and then
 * normalising is how Matryoshka-trained models are shortened. A zero vector stays zero.
 */
export function shapeEmbedding(raw: ArrayLike<number>, dimensions?: number): Float32Array {
  const length = dimensions === undefined ? raw.length : Math.min(dimensions, raw.length);
  let sumOfSquares = 0;
  for (let i = 0; i < length; i++) sumOfSquares += raw[i]! * raw[i]!;
  const scale = sumOfSquares > 0 ? 1 / Math.sqrt(sumOfSquares) : 0;
  const vector = new Float32Array(length);
  for (let i = 0; i < length; i++) vector[i] = raw[i]! * scale;
  return vector;
}

/** Cosine similarity of two vectors of the same length (their dot product when both are unit length). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length (${a.length} and ${b.length})`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
