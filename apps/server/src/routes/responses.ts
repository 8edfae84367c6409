import { Hono, type Context } from 'hono';
import { ApiError } from '../errors.js';
import { createRequestValidator } from '../openai/request-validator.js';
import { resolveModel } from '../openai/resolve-model.js';
import { checkCallOutputs, toChatMessages } from '../openai/responses/conversation-messages.js';
import { createResponseRequestSchema } from '../openai/responses/create-response-schema.js';
import { normaliseInput } from '../openai/responses/input-items.js';
import { listInputItems, type InputItemPage } from '../openai/responses/input-item-list.js';
import { mapResponseRequest } from '../openai/responses/map-response-request.js';
import { ResponseEventStream } from '../openai/responses/response-event-stream.js';
import { ResponseIds } from '../openai/responses/response-ids.js';
import { finishedResponse, outputItemsOf, type ResponseHead } from '../openai/responses/response-object.js';
import type { ResponseStore, StoredResponse } from '../openai/responses/response-store.js';
import type { CreateResponseBody, ResponseItem, ResponseObject } from '../openai/responses/response-wire-types.js';
import { readJsonBody } from '../read-json-body.js';
import { SERVED_BY_HEADER } from '../pool/served-by.js';
import type { AppEnv } from '../request-scope.js';
import { engineCall } from './data-api/engine-call.js';
import { integerQuery } from './data-api/items-route.js';
import type { GenerationRouteDependencies } from './route-dependencies.js';
import { streamGeneration } from './stream-generation.js';

/** What the Responses routes need: the generation dependencies and, when the node has one, the data store. */
export interface ResponsesRouteDependencies extends GenerationRouteDependencies {
  /** Where responses are stored; without it nothing is stored and `previous_response_id` is refused. */
  readonly store: ResponseStore | undefined;
}

function notFound(responseId: string): ApiError {
  return new ApiError('item-not-found', `Response with id '${responseId}' not found.`, { param: 'response_id' });
}

async function requireStored(store: ResponseStore | undefined, responseId: string): Promise<StoredResponse> {
  const stored = store === undefined ? undefined : await engineCall(() => store.get(responseId));
  if (stored === undefined) throw notFound(responseId);
  return stored;
}

// The whole conversation the engine sees: the stored chain of `previous_response_id`, then this
// request's input. Returns this request's own items too: they are what gets stored with it.
async function assembleConversation(body: CreateResponseBody, ids: ResponseIds, store: ResponseStore | undefined): Promise<{ previous: ResponseItem[]; input: ResponseItem[] }> {
  const previousId = body.previous_response_id ?? null;
  if (previousId !== null && store === undefined) {
    throw new ApiError('invalid-request', "'previous_response_id' needs the node's data store, which this server runs without.", { param: 'previous_response_id', openaiCode: 'unsupported_parameter' });
  }
  const previous = previousId === null || store === undefined ? [] : await engineCall(() => store.conversation(previousId), 'previous_response_id');
  const input = await normaliseInput(body.input, ids, (itemId) => (store === undefined ? Promise.resolve(undefined) : engineCall(() => store.findItem(itemId))));
  checkCallOutputs(previous, input);
  if (previous.length + input.length === 0) {
    throw new ApiError('invalid-request', "Missing required parameter: 'input' (or 'previous_response_id' with input to continue it).", { param: 'input', openaiCode: 'missing_required_parameter' });
  }
  return { previous, input };
}

function inputItemPage(c: Context<AppEnv>): InputItemPage {
  if (c.req.queries('include') !== undefined || c.req.queries('include[]') !== undefined) {
    throw new ApiError('invalid-request', "'include' is not supported: input items are text only, there is nothing more to include.", { param: 'include', openaiCode: 'unsupported_parameter' });
  }
  const order = c.req.query('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new ApiError('invalid-request', `Invalid value for 'order': '${order}'. Supported values are: 'asc', 'desc'.`, { param: 'order' });
  const after = c.req.query('after');
  return { limit: integerQuery(c, 'limit', 1, 100) ?? 20, order, after: after === '' ? undefined : after };
}

/**
 * The Responses API: `POST /v1/responses` (streamed or not), `GET /v1/responses/{id}`,
 * `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`. Generation reuses the
 * chat pipeline (engine `chat` / `streamChat`); responses are stored in the replicated data
 * store (`store`, default true) so that `previous_response_id` works on every node.
 */
export function responsesRoute(deps: ResponsesRouteDependencies): Hono<AppEnv> {
  const validate = createRequestValidator<CreateResponseBody>(createResponseRequestSchema);
  const { store } = deps;
  // The response as answered: with `store: false` when it could not be stored.
  const save = async (stored: StoredResponse): Promise<ResponseObject> => {
    if (store === undefined || !stored.response.store) return stored.response;
    return (await engineCall(() => store.save(stored))) ? stored.response : { ...stored.response, store: false };
  };

  return new Hono<AppEnv>()
    .post('/v1/responses', async (c) => {
      const body = validate(await readJsonBody(c));
      const mapped = mapResponseRequest(body);
      const loaded = deps.model.choose({ model: body.model });
      if (loaded.servedBy !== undefined) c.header(SERVED_BY_HEADER, loaded.servedBy);
      resolveModel(body.model, loaded.info, deps.modelAliases);
      const ids = new ResponseIds();
      const { previous, input } = await assembleConversation(body, ids, store);
      const settings = store === undefined ? { ...mapped.settings, store: false } : mapped.settings;
      const head: ResponseHead = { ids, createdAt: Math.floor(Date.now() / 1000), model: loaded.info.id, settings };
      const request = { ...mapped.chat, messages: toChatMessages(settings.instructions, [...previous, ...input]) };
      const scope = c.var.scope;
      // Aborted when the client disconnects, when the stream is cancelled, or when a shutdown
      // runs out of time: the engine then frees the slot.
      const abort = new AbortController();
      const signal = AbortSignal.any([abort.signal, c.req.raw.signal, deps.shutdownSignal]);

      if (body.stream !== true) {
        const result = await loaded.engine.chat({ ...request, signal }).catch((error: unknown) => {
          if (c.req.raw.signal.aborted) scope.outcome = 'client-disconnected';
          throw error;
        });
        scope.usage = result.usage;
        const response = finishedResponse(head, outputItemsOf(ids, result), result.finishReason, result.usage);
        return c.json(await save({ response, input }));
      }

      const events = new ResponseEventStream(head, (response) => {
        scope.usage = events.usage;
        return save({ response, input });
      });
      return streamGeneration({
        scope,
        source: events.events(loaded.engine.streamChat({ ...request, signal })),
        encode: (event) => [event],
        promptParam: 'input',
        keepAliveMs: deps.sseKeepAliveMs,
        abort,
      ...(loaded.servedBy === undefined ? {} : { headers: { [SERVED_BY_HEADER]: loaded.servedBy } }),
        sse: { namedEvents: true, errorEvent: (error) => events.errorEvent(error) },
      });
    })
    .get('/v1/responses/:id/input_items', async (c) => {
      const page = inputItemPage(c);
      const stored = await requireStored(store, c.req.param('id'));
      return c.json(listInputItems(stored.input, page));
    })
    .get('/v1/responses/:id', async (c) => {
      if (c.req.query('stream') === 'true') {
        throw new ApiError('invalid-request', "'stream' is not supported on GET /v1/responses/{id}: stored responses are finished; omit it.", { param: 'stream', openaiCode: 'unsupported_parameter' });
      }
      const stored = await requireStored(store, c.req.param('id'));
      return c.json(stored.response);
    })
    .delete('/v1/responses/:id', async (c) => {
      const responseId = c.req.param('id');
      const deleted = store === undefined ? false : await engineCall(() => store.delete(responseId));
      if (!deleted) throw notFound(responseId);
      return c.json({ id: responseId, object: 'response', deleted: true });
    });
}
