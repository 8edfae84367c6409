/**
 * JSON Schemas of what the server sends, for `/openapi.json`. They describe the subset of
 * OpenAI's response objects this server fills; the tests check real responses against
 * OpenAI's own pinned specification, not against these.
 */

const nullableString = { type: ['string', 'null'] } as const;

const usage = {
  type: 'object',
  required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
  properties: {
    prompt_tokens: { type: 'integer' },
    completion_tokens: { type: 'integer' },
    total_tokens: { type: 'integer' },
    prompt_tokens_details: { type: 'object', properties: { cached_tokens: { type: 'integer', description: 'Prompt tokens reused from the slot\'s cache.' } } },
  },
} as const;

const toolCall = {
  type: 'object',
  properties: {
    index: { type: 'integer', description: 'Streamed chunks only.' },
    id: { type: 'string' },
    type: { type: 'string', enum: ['function'] },
    function: { type: 'object', properties: { name: { type: 'string' }, arguments: { type: 'string', description: 'JSON text; streamed in pieces.' } } },
  },
} as const;

const common = {
  id: { type: 'string' },
  created: { type: 'integer', description: 'Unix seconds.' },
  model: { type: 'string' },
  system_fingerprint: { type: 'string', description: 'Changes when the model file or context size changes.' },
} as const;

/** `chat.completion`. */
export const chatCompletionResponseSchema = {
  type: 'object',
  title: 'CreateChatCompletionResponse',
  required: ['id', 'object', 'created', 'model', 'choices'],
  properties: {
    ...common,
    object: { type: 'string', enum: ['chat.completion'] },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'message', 'logprobs', 'finish_reason'],
        properties: {
          index: { type: 'integer' },
          message: {
            type: 'object',
            required: ['role', 'content', 'refusal'],
            properties: { role: { type: 'string', enum: ['assistant'] }, content: nullableString, refusal: { type: 'null' }, tool_calls: { type: 'array', items: toolCall }, annotations: { type: 'array' } },
          },
          logprobs: { type: ['object', 'null'], description: 'With `logprobs`: the tokens\' log probabilities (OpenAI\'s shape), else null.' },
          finish_reason: { type: 'string', enum: ['stop', 'length', 'tool_calls'] },
        },
      },
    },
    usage,
  },
} as const;

/** `chat.completion.chunk`, one SSE `data:` line. */
export const chatCompletionChunkSchema = {
  type: 'object',
  title: 'CreateChatCompletionStreamResponse',
  required: ['id', 'object', 'created', 'model', 'choices'],
  properties: {
    ...common,
    object: { type: 'string', enum: ['chat.completion.chunk'] },
    choices: {
      type: 'array',
      description: 'Empty in the usage chunk.',
      items: {
        type: 'object',
        required: ['index', 'delta', 'finish_reason'],
        properties: {
          index: { type: 'integer' },
          delta: { type: 'object', properties: { role: { type: 'string', enum: ['assistant'] }, content: nullableString, refusal: { type: 'null' }, tool_calls: { type: 'array', items: toolCall } } },
          logprobs: { type: ['object', 'null'], description: 'With `logprobs`: the tokens\' log probabilities (OpenAI\'s shape), else null.' },
          finish_reason: { type: ['string', 'null'], enum: ['stop', 'length', 'tool_calls', null] },
        },
      },
    },
    usage: { anyOf: [usage, { type: 'null' }], description: 'Only with `stream_options.include_usage`: null except in the last chunk.' },
  },
} as const;

/** `text_completion`, also the shape of each streamed chunk. */
export const completionResponseSchema = {
  type: 'object',
  title: 'CreateCompletionResponse',
  required: ['id', 'object', 'created', 'model', 'choices'],
  properties: {
    ...common,
    object: { type: 'string', enum: ['text_completion'] },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['text', 'index', 'logprobs', 'finish_reason'],
        properties: {
          text: { type: 'string' },
          index: { type: 'integer' },
          logprobs: { type: ['object', 'null'], description: 'With `logprobs`: the tokens\' log probabilities (OpenAI\'s shape), else null.' },
          finish_reason: { type: ['string', 'null'], enum: ['stop', 'length', null], description: 'null in streamed chunks before the last.' },
        },
      },
    },
    usage,
  },
} as const;

/** `list` of `embedding`s. */
export const embeddingResponseSchema = {
  type: 'object',
  title: 'CreateEmbeddingResponse',
  required: ['object', 'data', 'model', 'usage'],
  properties: {
    object: { type: 'string', enum: ['list'] },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['object', 'index', 'embedding'],
        properties: {
          object: { type: 'string', enum: ['embedding'] },
          index: { type: 'integer', description: 'Position of the input.' },
          embedding: {
            anyOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string' }],
            description: 'Unit length (L2). Numbers, or with `encoding_format: base64` the base64 of little-endian float32s.',
          },
        },
      },
    },
    model: { type: 'string' },
    usage: { type: 'object', required: ['prompt_tokens', 'total_tokens'], properties: { prompt_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } } },
  },
} as const;

/** `model`. */
export const modelSchema = {
  type: 'object',
  title: 'Model',
  required: ['id', 'object', 'created', 'owned_by'],
  properties: {
    id: { type: 'string', description: "The model file's name without `.gguf`." },
    object: { type: 'string', enum: ['model'] },
    created: { type: 'integer', description: 'Unix seconds of when the model was loaded.' },
    owned_by: {
      type: 'string',
      description: "The name of the node that serves the model (`LAN_SYNC_NODE_NAME`, by default the host name): this node for its own models, the LAN peer for a model a peer serves (pooled inference, `LLM_POOL`).",
    },
  },
} as const;

/** `list` of models. */
export const modelListSchema = {
  type: 'object',
  title: 'ListModelsResponse',
  required: ['object', 'data'],
  properties: { object: { type: 'string', enum: ['list'] }, data: { type: 'array', items: modelSchema } },
} as const;

/** OpenAI's error body: all four keys always present. */
export const errorResponseSchema = {
  type: 'object',
  title: 'ErrorResponse',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: nullableString, code: nullableString },
    },
  },
} as const;

/** `/health`. */
export const healthResponseSchema = {
  type: 'object',
  title: 'Health',
  required: ['status', 'model', 'uptime_seconds', 'slots', 'queue', 'requests_in_flight'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'draining'] },
    model: {
      type: 'object',
      required: ['status', 'path'],
      properties: {
        status: { type: 'string', enum: ['loaded', 'loading', 'missing', 'error'] },
        path: { type: 'string' },
        id: { type: 'string' },
        hint: { type: 'string' },
        message: { type: 'string' },
        download: {
          type: ['object', 'null'],
          description: 'While `loading` a model URI (`hf:…`, `https://…`): how far its download has come; null when nothing downloads.',
          required: ['downloaded_bytes', 'total_bytes'],
          properties: { downloaded_bytes: { type: 'integer' }, total_bytes: { type: 'integer' } },
        },
        detail: { type: 'string', description: 'While `loading`: what the node waits for (its upstream engine, a transfer from a peer), when it waits.' },
        upstream: {
          type: 'object',
          description: 'With `LLM_UPSTREAM_URL`: the upstream engine generation is forwarded to, and whether it answers.',
          required: ['url', 'status', 'error', 'checked_at'],
          properties: {
            url: { type: 'string' },
            status: { type: 'string', enum: ['up', 'down'] },
            error: { type: ['string', 'null'] },
            checked_at: { type: ['string', 'null'], format: 'date-time' },
          },
        },
      },
    },
    uptime_seconds: { type: 'number' },
    slots: { type: 'object', properties: { total: { type: 'integer' }, in_use: { type: 'integer' } } },
    queue: { type: 'object', properties: { depth: { type: 'integer' }, max: { type: 'integer' } } },
    requests_in_flight: { type: 'integer', description: 'Including this one.' },
    embedding_model: {
      type: 'object',
      description: 'Only with `LLM_EMBEDDING_MODEL_PATH`: the dedicated embedding model.',
      required: ['status', 'path'],
      properties: {
        status: { type: 'string', enum: ['loaded', 'loading', 'error'] },
        path: { type: 'string' },
        id: { type: 'string' },
        dimensions: { type: 'integer' },
        context_size: { type: 'integer' },
        message: { type: 'string' },
      },
    },
    pool: {
      type: 'object',
      description: 'Pooled inference (`LLM_POOL`): the mode, how often peers are asked what they serve, when their answer goes stale, and each peer\'s last advertisement.',
      required: ['mode', 'status_interval_ms', 'status_stale_ms', 'peers'],
      properties: {
        mode: { type: 'string', enum: ['off', 'fallback', 'balance'] },
        status_interval_ms: { type: 'integer', description: '`LLM_POOL_STATUS_INTERVAL_MS`.' },
        status_stale_ms: { type: 'integer', description: '`LLM_POOL_STATUS_STALE_MS`.' },
        peers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['node_id', 'node_name', 'age_ms', 'stale', 'models', 'embedding'],
            properties: {
              node_id: { type: 'string' },
              node_name: { type: 'string' },
              age_ms: { type: 'integer', description: 'Milliseconds since its advertisement arrived.' },
              stale: { type: 'boolean', description: 'Older than `status_stale_ms`: not chosen for requests.' },
              models: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'slots', 'slots_free', 'queue_depth', 'max_queue'],
                  properties: { id: { type: 'string' }, slots: { type: 'integer' }, slots_free: { type: 'integer' }, queue_depth: { type: 'integer' }, max_queue: { type: 'integer' } },
                },
              },
              embedding: {
                type: ['object', 'null'],
                description: 'The model its embeddings come from, and that engine\'s load (null counts while it has not embedded yet, or from an older node).',
                required: ['id', 'slots', 'slots_free', 'queue_depth'],
                properties: { id: { type: 'string' }, slots: { type: ['integer', 'null'] }, slots_free: { type: ['integer', 'null'] }, queue_depth: { type: ['integer', 'null'] } },
              },
            },
          },
        },
      },
    },
  },
} as const;
