/**
 * JSON Schema properties shared by `/v1/chat/completions` and `/v1/completions` requests.
 * Nullable like OpenAI's (clients such as LangChain send explicit nulls for unset fields).
 */
export const samplingProperties = {
  model: { type: 'string', description: "The loaded model's id (see `GET /v1/models`), or one of the configured aliases. Optional: defaults to the loaded model." },
  max_tokens: { type: ['integer', 'null'], minimum: 1, description: 'Upper bound of generated tokens. Default: what fits in the context.' },
  temperature: { type: ['number', 'null'], minimum: 0, maximum: 2, description: 'Sampling temperature, 0 to 2. 0 is greedy (deterministic).' },
  top_p: { type: ['number', 'null'], minimum: 0, maximum: 1, description: 'Nucleus sampling probability mass.' },
  top_k: { type: ['integer', 'null'], minimum: 0, description: 'Extension (llama.cpp): sample only from the k most likely tokens; 0 disables.' },
  min_p: { type: ['number', 'null'], minimum: 0, maximum: 1, description: 'Extension (llama.cpp): minimum probability relative to the most likely token.' },
  n: { type: ['integer', 'null'], minimum: 1, maximum: 128, description: 'Choices to generate (per prompt), in parallel slots where free; `usage` counts them all.' },
  stop: {
    anyOf: [
      { type: 'string' },
      { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 4 },
      { type: 'null' },
    ],
    description: 'Up to 4 sequences where generation stops; they are not included in the output.',
  },
  seed: { type: ['integer', 'null'], description: 'Seed of the sampler, for repeatable output at temperature > 0.' },
  presence_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
  frequency_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
  logit_bias: {
    type: ['object', 'null'],
    propertyNames: { pattern: '^\\d+$' },
    additionalProperties: { type: 'number', minimum: -100, maximum: 100 },
    description: 'Token id (decimal string) to a bias from -100 to 100; -100 bans the token.',
  },
  stream: { type: ['boolean', 'null'], description: 'Stream the answer as server-sent events ending with `data: [DONE]`.' },
  stream_options: {
    type: ['object', 'null'],
    properties: { include_usage: { type: 'boolean' } },
    description: 'With `include_usage`, a last chunk with empty `choices` carries `usage`.',
  },
  user: { type: 'string', description: 'End-user identifier; accepted and ignored.' },
} as const;
