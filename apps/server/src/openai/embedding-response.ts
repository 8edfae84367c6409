/** `encoding_format` of an embeddings request. */
export type EmbeddingEncoding = 'float' | 'base64';

/** A vector as OpenAI sends it: numbers, or the base64 of its little-endian float32 bytes. */
export function encodeEmbedding(vector: Float32Array, encoding: EmbeddingEncoding): number[] | string {
  if (encoding === 'float') return Array.from(vector);
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

/** Builds OpenAI's `CreateEmbeddingResponse`: one `embedding` per input, in input order. */
export function buildEmbeddingList(model: string, vectors: readonly Float32Array[], encoding: EmbeddingEncoding, promptTokens: number): object {
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: encodeEmbedding(vector, encoding) })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
