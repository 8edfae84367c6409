import { samplingProperties } from './sampling-properties.js';

/**
 * JSON Schema of a `POST /v1/completions` body: validates requests and is embedded in
 * `/openapi.json`. Unknown fields are allowed (ignored), as OpenAI does.
 */
export const completionRequestSchema = {
  type: 'object',
  title: 'CreateCompletionRequest',
  required: ['prompt'],
  properties: {
    prompt: {
      anyOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' } },
        { type: 'array', items: { type: 'integer' } },
        { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
      ],
      description:
        'A string, an array of strings (one choice per prompt, `index` in prompt order), an array of token ids of the ' +
        "model's vocabulary, or an array of such arrays.",
    },
    ...samplingProperties,
    echo: { type: ['boolean', 'null'], description: 'Prepend the prompt to the completion.' },
    best_of: { type: ['integer', 'null'], minimum: 1, maximum: 20, description: 'Only 1 (or equal to `n`) is supported.' },
    logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5, description: 'Return each generated token\'s log probability and this many most likely alternatives (0–5), streamed too.' },
    suffix: { type: ['string', 'null'], description: 'Not supported: only null.' },
  },
} as const;
