/** Most inputs per request, as OpenAI's limit. */
export const MAX_EMBEDDING_INPUTS = 2048;

const tokenIds = { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } } as const;

/**
 * JSON Schema of a `POST /v1/embeddings` body: validates requests and is embedded in
 * `/openapi.json`. Unknown fields are allowed (ignored), as OpenAI does.
 */
export const embeddingRequestSchema = {
  type: 'object',
  title: 'CreateEmbeddingRequest',
  required: ['input'],
  properties: {
    input: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, maxItems: MAX_EMBEDDING_INPUTS, items: { type: 'string', minLength: 1 } },
        tokenIds,
        { type: 'array', minItems: 1, maxItems: MAX_EMBEDDING_INPUTS, items: tokenIds },
      ],
      description:
        `Text, an array of up to ${MAX_EMBEDDING_INPUTS} texts, an array of token ids, or an array of such arrays. ` +
        'Each input must fit in the embedding context (`context_length_exceeded` names the one that does not).',
    },
    model: { type: 'string', description: 'The embedding model (`LLM_EMBEDDING_MODEL_PATH`) or, without one, the chat model; optional.' },
    encoding_format: { type: ['string', 'null'], enum: ['float', 'base64', null], description: '`float` (default): arrays of numbers; `base64`: little-endian float32 bytes.' },
    dimensions: { type: ['integer', 'null'], minimum: 1, description: 'Keep the first `dimensions` components, renormalised; at most the model\'s vector size.' },
    user: { type: 'string', description: 'End-user identifier; accepted and ignored.' },
  },
} as const;
