import { chatCompletionRequestSchema } from './schemas/chat-completion-request-schema.js';
import { completionRequestSchema } from './schemas/completion-request-schema.js';
import { embeddingRequestSchema } from './schemas/embedding-request-schema.js';
import {
  chatCompletionChunkSchema,
  chatCompletionResponseSchema,
  completionResponseSchema,
  embeddingResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  modelListSchema,
  modelSchema,
} from './schemas/response-schemas.js';
import { metricsPaths } from '../metrics/metrics-openapi.js';
import { adminNodeSchema, adminPaths, adminSecurityScheme, recentRequestListSchema } from '../routes/admin-openapi.js';
import { dataApiPaths, dataApiSchemas, dataApiTags } from '../routes/data-api/data-api-openapi.js';
import { responsesPaths, responsesSchemas } from './responses/responses-openapi.js';

const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });

/** A request each POST route answers with a 200 as it stands, on any model (tested against a real server). */
const requestExamples: Readonly<Record<string, object>> = {
  CreateChatCompletionRequest: {
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Write one sentence about a cat.' },
    ],
    max_tokens: 32,
    temperature: 0.7,
  },
  CreateCompletionRequest: { prompt: 'Once upon a time', max_tokens: 32, temperature: 0.7 },
  CreateEmbeddingRequest: { input: ['The cat sat on the mat.', 'A dog ran in the park.'] },
};
const json = (schema: string): object => ({ 'application/json': { schema: ref(schema) } });

function errors(...statuses: number[]): Record<string, object> {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (`param` names the field), or `context_length_exceeded`.',
    401: 'An API key is configured and the request has none or a wrong one.',
    404: 'Unknown model (`model_not_found`).',
    413: 'Body larger than `TROSYN_BODY_LIMIT`.',
    503: 'No model loaded, model loading, queue full or shutting down. Has `Retry-After`.',
  };
  return Object.fromEntries(statuses.map((status) => [String(status), { description: descriptions[status] ?? 'Error', content: json('ErrorResponse') }]));
}

function generation(summary: string, request: string, response: string, chunk: string): object {
  return {
    post: {
      summary,
      tags: ['OpenAI'],
      security: [{ bearer: [] }, {}],
      // Swagger UI pre-fills this body for "Try it out"; without it, it builds one from the schema
      // with placeholders the server rightly refuses (`logit_bias` keys, a `model` named "string").
      requestBody: { required: true, content: { 'application/json': { schema: ref(request), example: requestExamples[request] } } },
      responses: {
        '200': {
          description: `\`${response}\`, or with \`stream: true\` server-sent events: one \`data: <${chunk}>\` per chunk, then \`data: [DONE]\`.`,
          content: { 'application/json': { schema: ref(response) }, 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...errors(400, 401, 404, 413, 503),
      },
    },
  };
}

/**
 * The one OpenAPI 3.1 document of the API, served at `/openapi.json` and rendered by `/docs`
 * and `/redoc`. Its request schemas are the very objects the routes validate with.
 */
export function createOpenApiDocument(version: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Trosyn node API',
      version,
      description:
        'OpenAI-compatible API of a Trosyn node over a local GGUF model. Point any OpenAI client at `http://<host>:<port>/v1`. ' +
        'The data API (`/api/v1`) reads and writes the replicated store that LAN sync keeps identical on every node.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [{ name: 'OpenAI', description: 'The OpenAI-compatible endpoints.' }, { name: 'Node', description: 'Node status.' }, ...dataApiTags, { name: 'Admin', description: "The operator's routes (the console reads them)." }],
    paths: {
      '/v1/chat/completions': generation('Create a chat completion', 'CreateChatCompletionRequest', 'CreateChatCompletionResponse', 'CreateChatCompletionStreamResponse'),
      '/v1/completions': generation('Create a text completion', 'CreateCompletionRequest', 'CreateCompletionResponse', 'CreateCompletionResponse'),
      ...responsesPaths(),
      '/v1/embeddings': {
        post: {
          summary: 'Create embeddings',
          tags: ['OpenAI'],
          security: [{ bearer: [] }, {}],
          requestBody: { required: true, content: { 'application/json': { schema: ref('CreateEmbeddingRequest'), example: requestExamples['CreateEmbeddingRequest'] } } },
          responses: {
            '200': { description: 'One unit-length vector per input, in input order.', content: json('CreateEmbeddingResponse') },
            ...errors(400, 401, 404, 413, 503),
          },
        },
      },
      '/v1/models': {
        get: { summary: 'List the loaded model', tags: ['OpenAI'], security: [{ bearer: [] }, {}], responses: { '200': { description: 'The loaded model (an empty list while none is loaded).', content: json('ListModelsResponse') }, ...errors(401) } },
      },
      '/v1/models/{model}': {
        get: {
          summary: 'Retrieve a model',
          tags: ['OpenAI'],
          security: [{ bearer: [] }, {}],
          parameters: [{ name: 'model', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The model.', content: json('Model') }, ...errors(401, 404) },
        },
      },
      '/health': {
        get: { summary: 'Node health', tags: ['Node'], responses: { '200': { description: 'Always 200 while the process serves; see `status`.', content: json('Health') } } },
      },
      ...dataApiPaths(),
      ...adminPaths(),
      ...metricsPaths(),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Only when `TROSYN_API_KEY` is set.' }, adminKey: adminSecurityScheme },
      schemas: {
        CreateChatCompletionRequest: chatCompletionRequestSchema,
        CreateChatCompletionResponse: chatCompletionResponseSchema,
        CreateChatCompletionStreamResponse: chatCompletionChunkSchema,
        CreateCompletionRequest: completionRequestSchema,
        CreateCompletionResponse: completionResponseSchema,
        CreateEmbeddingRequest: embeddingRequestSchema,
        CreateEmbeddingResponse: embeddingResponseSchema,
        Model: modelSchema,
        ListModelsResponse: modelListSchema,
        ErrorResponse: errorResponseSchema,
        ...responsesSchemas,
        Health: { ...healthResponseSchema, properties: { ...healthResponseSchema.properties, sync: ref('SyncHealth') } },
        ...dataApiSchemas,
        AdminNode: adminNodeSchema,
        RecentRequestList: recentRequestListSchema,
      },
    },
  };
}
