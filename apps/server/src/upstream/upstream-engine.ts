import type { LlmSettings, UpstreamSettings } from '../config.js';
import type {
  ChatDelta,
  ChatRequest,
  ChatResult,
  CompletionDelta,
  CompletionRequest,
  CompletionResult,
  Embedder,
  Engine,
  EngineBackend,
  EngineEvents,
  EngineStats,
  FinishReason,
  ModelInfo,
  Usage,
} from '../engine.js';
import type { Logger } from '../logger.js';
import type { ModelLoadContext } from '../model-host.js';
import { readSseData } from './sse-data.js';
import { SlotGate } from './slot-gate.js';
import { UpstreamClient } from './upstream-client.js';
import { networkReason, UpstreamEngineError, upstreamHttpError } from './upstream-error.js';
import { createUpstreamEmbedder } from './upstream-embedder.js';
import { describeUpstreamModel, listUpstreamModels } from './upstream-model-info.js';
import {
  chatBody,
  chatResultOf,
  completionBody,
  completionResultOf,
  finishReasonOf,
  parseAnswer,
  ToolCallAssembler,
  usageOf,
  type WireAnswer,
} from './upstream-wire.js';

/** Seconds between reachability probes while loaded, and between connection attempts at start. */
const PROBE_INTERVAL_MS = 5000;
const CONNECT_RETRY_MS = 2000;

/** One streamed event, already checked: an answer chunk, or the upstream's error after its 200. */
function chunkOf(url: string, payload: string): WireAnswer {
  const chunk = parseAnswer(url, payload) as WireAnswer & { error?: unknown };
  if (chunk.error !== undefined) throw upstreamHttpError(url, 502, payload);
  return chunk;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

/**
 * The engine port served by an OpenAI-compatible upstream (another Trosyn node, llama-server,
 * vLLM, Ollama): the node keeps its own API, validation, auth and logs, and forwards each
 * generation as an OpenAI request. Streams are passed on chunk by chunk; the client's abort
 * closes the upstream connection at once (which frees the upstream's slot); the upstream's
 * errors become the node's (see `upstream-error.ts`). A probe keeps `/health` current.
 *
 * @example
 * ```ts
 * const engine = await UpstreamEngine.connect(config.upstream, config.llm, logger, { report, signal });
 * const answer = await engine.chat({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export class UpstreamEngine implements Engine {
  readonly info: ModelInfo;
  readonly #client: UpstreamClient;
  readonly #gate: SlotGate;
  readonly #closing = new AbortController();
  readonly #probe: NodeJS.Timeout;
  #probing = false;
  readonly #listeners = new Set<(event: EngineEvents['generation']) => void>();

  private constructor(info: ModelInfo, client: UpstreamClient, gate: SlotGate) {
    this.info = info;
    this.#client = client;
    this.#gate = gate;
    this.#probe = setInterval(() => void this.#checkReachable(), PROBE_INTERVAL_MS).unref();
  }

  /**
   * Connects: asks the upstream for its models until it answers (reporting each failed attempt
   * through `context.report`, so `/health` and the 503 say why the node waits), picks
   * `settings.model` or the first listed (waiting too while it lists none, as an upstream that
   * loads its model does), and describes it. Rejects only when `context.signal` fires.
   */
  static async connect(settings: UpstreamSettings, llm: Pick<LlmSettings, 'parallel' | 'maxQueue'>, logger: Logger, context: ModelLoadContext): Promise<UpstreamEngine> {
    const client = new UpstreamClient(settings, logger);
    for (let attempt = 1; ; attempt += 1) {
      if (context.signal.aborted) throw new UpstreamEngineError('disposed', 'The node stopped before the upstream engine answered.');
      try {
        const models = await listUpstreamModels(client, context.signal);
        const listed = settings.model === undefined ? models[0] : models.find((model) => model.id === settings.model);
        if (listed === undefined) {
          const ids = models.map((model) => String(model.id)).join(', ');
          // Retried: an upstream that is still loading its model lists none yet.
          throw new UpstreamEngineError(
            'upstream-unavailable',
            settings.model === undefined
              ? 'it lists no model in GET /models yet'
              : `it does not serve '${settings.model}' (LLM_UPSTREAM_MODEL); it serves: ${ids === '' ? 'nothing yet' : ids}`,
          );
        }
        const info = await describeUpstreamModel(client, listed, context.signal);
        logger.log('info', 'upstream connected', { url: settings.url, model: info.id, attempts: attempt });
        return new UpstreamEngine(info, client, new SlotGate(llm.parallel, llm.maxQueue));
      } catch (error) {
        if (!(error instanceof UpstreamEngineError) || !['upstream-unavailable', 'upstream-timeout', 'upstream-failed'].includes(error.code)) throw error;
        const reason = error.code === 'upstream-unavailable' && error.cause !== undefined ? networkReason(error.cause) : error.message;
        context.report(`waiting for the upstream engine at ${settings.url} (${reason}); attempt ${attempt}, retrying every ${CONNECT_RETRY_MS / 1000} s`);
        if (attempt === 1) logger.log('warn', 'upstream not reachable yet; retrying', { url: settings.url, error: reason });
        await sleep(CONNECT_RETRY_MS, context.signal);
      }
    }
  }

  createEmbeddingEngine(): Promise<Embedder> {
    return createUpstreamEmbedder(this.#client, this.info.id, this.info.contextSize);
  }

  on<K extends keyof EngineEvents>(name: K, listener: (event: EngineEvents[K]) => void): () => void {
    if (name !== 'generation') return () => undefined;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  backend(): EngineBackend {
    return this.#client.backend();
  }

  stats(): EngineStats {
    return { slots: this.#gate.slots, slotsInUse: this.#gate.inUse, queueDepth: this.#gate.queueDepth, maxQueue: this.#gate.maxQueue };
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    return this.#whole('completion', request.signal, async (signal) =>
      completionResultOf(this.#client.url, parseAnswer(this.#client.url, await this.#client.json('/completions', completionBody(this.info.id, request, false), signal))),
    );
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    return this.#whole('chat', request.signal, async (signal) =>
      chatResultOf(this.#client.url, parseAnswer(this.#client.url, await this.#client.json('/chat/completions', chatBody(this.info.id, request, false), signal))),
    );
  }

  async *streamComplete(request: CompletionRequest): AsyncGenerator<CompletionDelta> {
    const record = new GenerationRecord('completion', true, this.#listeners);
    let finish: string | null | undefined;
    let usage: Usage | undefined;
    try {
      for await (const chunk of this.#stream('/completions', completionBody(this.info.id, request, true), request.signal, record)) {
        const choice = chunk.choices?.[0];
        if (choice?.text !== undefined && choice.text !== '') {
          record.token();
          yield { type: 'text', text: choice.text };
        }
        if (choice?.finish_reason != null) finish = choice.finish_reason;
        if (chunk.usage != null) usage = usageOf(chunk.usage);
      }
      const done = { type: 'done' as const, finishReason: this.#finished(finish, false), usage: usage ?? usageOf(undefined, record.tokens) };
      record.end('completed', done.finishReason, done.usage);
      yield done;
    } catch (error) {
      record.failed(error);
      throw error;
    } finally {
      record.end('aborted');
    }
  }

  async *streamChat(request: ChatRequest): AsyncGenerator<ChatDelta> {
    const record = new GenerationRecord('chat', true, this.#listeners);
    let finish: string | null | undefined;
    let usage: Usage | undefined;
    const toolCalls = new ToolCallAssembler();
    try {
      for await (const chunk of this.#stream('/chat/completions', chatBody(this.info.id, request, true), request.signal, record)) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (typeof text === 'string' && text !== '') {
          record.token();
          yield { type: 'text', text };
        }
        if (choice?.delta?.tool_calls != null) toolCalls.add(choice.delta.tool_calls);
        if (choice?.finish_reason != null) finish = choice.finish_reason;
        if (chunk.usage != null) usage = usageOf(chunk.usage);
      }
      const calls = toolCalls.calls();
      for (const call of calls) yield { type: 'tool-call', ...call };
      const done = { type: 'done' as const, finishReason: this.#finished(finish, calls.length > 0), usage: usage ?? usageOf(undefined, record.tokens) };
      record.end('completed', done.finishReason, done.usage);
      yield done;
    } catch (error) {
      record.failed(error);
      throw error;
    } finally {
      // A consumer that stopped early (the client went away) ends here without an error.
      record.end('aborted');
    }
  }

  async dispose(): Promise<void> {
    clearInterval(this.#probe);
    this.#closing.abort(new Error('the engine is disposed'));
  }

  #finished(finish: string | null | undefined, hasToolCalls: boolean): FinishReason {
    if (finish === undefined || finish === null) {
      throw new UpstreamEngineError('upstream-failed', `The upstream engine at ${this.#client.url} ended the stream before its last chunk.`);
    }
    return finishReasonOf(finish, hasToolCalls);
  }

  async #whole<T extends { readonly usage: Usage; readonly finishReason: FinishReason }>(
    kind: 'completion' | 'chat',
    requestSignal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const record = new GenerationRecord(kind, false, this.#listeners);
    const signal = this.#signal(requestSignal);
    try {
      const release = await this.#gate.acquire(signal);
      record.started();
      try {
        const result = await run(signal);
        record.end('completed', result.finishReason, result.usage);
        return result;
      } finally {
        release();
      }
    } catch (error) {
      const failure = this.#disposedOr(error);
      record.failed(failure);
      throw failure;
    }
  }

  async *#stream(path: string, body: object, requestSignal: AbortSignal | undefined, record: GenerationRecord): AsyncGenerator<WireAnswer> {
    const signal = this.#signal(requestSignal);
    const release = await this.#gate.acquire(signal);
    record.started();
    const url = this.#client.url;
    try {
      const { response, done } = await this.#client.send(path, body, signal).catch((error: unknown) => {
        throw this.#disposedOr(error);
      });
      done();
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') || response.body === null) {
        // An upstream that ignored `stream` answered whole: pass it on as one chunk.
        yield parseAnswer(url, await response.text());
        return;
      }
      const payloads = readSseData(response.body, {
        idleTimeoutMs: this.#client.timeoutMs,
        onStall: () => new UpstreamEngineError('upstream-timeout', `The upstream engine at ${url} sent nothing for ${this.#client.timeoutMs / 1000} s mid-stream (LLM_UPSTREAM_TIMEOUT).`),
      });
      try {
        for await (const payload of payloads) yield chunkOf(url, payload);
      } catch (error) {
        if (error instanceof UpstreamEngineError) throw error;
        if (this.#closing.signal.aborted) throw this.#disposedOr(error);
        if (signal.aborted) throw new UpstreamEngineError('aborted', 'The request was aborted.', {}, error);
        throw new UpstreamEngineError('upstream-unavailable', `The upstream engine at ${url} dropped the stream (${networkReason(error)}).`, {}, error);
      }
    } finally {
      release();
    }
  }

  #signal(requestSignal: AbortSignal | undefined): AbortSignal {
    return requestSignal === undefined ? this.#closing.signal : AbortSignal.any([requestSignal, this.#closing.signal]);
  }

  #disposedOr(error: unknown): unknown {
    if (this.#closing.signal.aborted) return new UpstreamEngineError('disposed', 'The node is shutting down.', {}, error);
    return error;
  }

  async #checkReachable(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      await listUpstreamModels(this.#client, this.#closing.signal);
      this.#client.markUp();
    } catch (error) {
      // Unreachable is recorded by the client itself; an HTTP error answer means reachable.
      if (error instanceof UpstreamEngineError && error.code === 'upstream-timeout') this.#client.markDown(error.message);
    } finally {
      this.#probing = false;
    }
  }
}

/**
 * The `generation` event of one request (what `/metrics` reads), measured as the upstream's
 * answer arrives at this node: queue time is the node's own slot wait.
 */
class GenerationRecord {
  readonly #kind: 'completion' | 'chat';
  readonly #streamed: boolean;
  readonly #listeners: ReadonlySet<(event: EngineEvents['generation']) => void>;
  readonly #startedAt = performance.now();
  #queueMs: number | undefined;
  #firstTokenAt: number | undefined;
  #lastTokenAt: number | undefined;
  tokens = 0;
  #ended = false;

  constructor(kind: 'completion' | 'chat', streamed: boolean, listeners: ReadonlySet<(event: EngineEvents['generation']) => void>) {
    this.#kind = kind;
    this.#streamed = streamed;
    this.#listeners = listeners;
  }

  started(): void {
    this.#queueMs = performance.now() - this.#startedAt;
  }

  token(): void {
    const now = performance.now();
    this.#firstTokenAt ??= now;
    this.#lastTokenAt = now;
    this.tokens += 1;
  }

  failed(error: unknown): void {
    this.end(error instanceof UpstreamEngineError ? error.code : 'generation-failed');
  }

  end(outcome: string, finishReason?: FinishReason, usage?: Usage): void {
    if (this.#ended || this.#listeners.size === 0) {
      this.#ended = true;
      return;
    }
    this.#ended = true;
    const completionTokens = usage?.completionTokens ?? this.tokens;
    const event: EngineEvents['generation'] = {
      kind: this.#kind,
      streamed: this.#streamed,
      outcome,
      finishReason,
      promptTokens: usage?.promptTokens,
      cachedPromptTokens: usage?.cachedPromptTokens,
      completionTokens,
      queueMs: this.#queueMs,
      timeToFirstTokenMs: this.#firstTokenAt === undefined ? undefined : this.#firstTokenAt - this.#startedAt,
      timePerOutputTokenMs:
        this.#firstTokenAt === undefined || this.#lastTokenAt === undefined || this.tokens < 2 ? undefined : (this.#lastTokenAt - this.#firstTokenAt) / (this.tokens - 1),
      durationMs: performance.now() - this.#startedAt,
    };
    for (const listener of this.#listeners) listener(event);
  }
}
