import { SseParser, type ServerSentEvent } from './sse-parser.js';

/** An error answer of the node: its HTTP status and the OpenAI-shaped `error` body. */
export class NodeApiError extends Error {
  override readonly name = 'NodeApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/** Where the client takes the admin key from for each request. */
export type KeySource = () => string | undefined;

async function errorOf(response: Response): Promise<NodeApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string | null; param?: string | null } };
    if (body.error?.message !== undefined) {
      return new NodeApiError(response.status, body.error.message, body.error.code ?? null, body.error.param ?? null);
    }
  } catch {
    // Not JSON: report the text as it is.
  }
  return new NodeApiError(response.status, text.trim() === '' ? `HTTP ${response.status}` : text.trim().slice(0, 500), null, null);
}

/**
 * The console's only way to the node: same-origin `fetch` to the node's public HTTP API, with
 * `Authorization: Bearer <admin key>` when the operator gave one. Nothing else is ever fetched.
 */
export class ApiClient {
  readonly #key: KeySource;
  readonly #onRefused: (error: NodeApiError) => void;

  /** `onRefused` hears of every `401` (the key was changed or removed on the node meanwhile). */
  constructor(key: KeySource, onRefused: (error: NodeApiError) => void = () => undefined) {
    this.#key = key;
    this.#onRefused = onRefused;
  }

  async #fail(response: Response): Promise<NodeApiError> {
    const error = await errorOf(response);
    if (error.status === 401) this.#onRefused(error);
    return error;
  }

  #headers(method: string, json: boolean): Headers {
    // Marks the console's own reads (its polling), so the node's list of recent requests can set
    // them apart; its writes (acknowledge, restore, sync now, a playground chat) are activity.
    const headers = new Headers(method === 'GET' ? { 'x-trosyn-client': 'console' } : {});
    const key = this.#key();
    if (key !== undefined) headers.set('authorization', `Bearer ${key}`);
    if (json) headers.set('content-type', 'application/json');
    return headers;
  }

  /** A JSON request; throws {@link NodeApiError} for any non-2xx answer. */
  async json<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: this.#headers(method, body !== undefined),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
    if (!response.ok) throw await this.#fail(response);
    return (await response.json()) as T;
  }

  /** `GET` shorthand. */
  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.json<T>('GET', path, undefined, signal);
  }

  /**
   * Opens a server-sent-events response (`GET` without `body`, `POST` with one) and yields its
   * events until the stream ends or `signal` aborts.
   */
  async *events(path: string, options: { readonly body?: unknown; readonly signal: AbortSignal }): AsyncGenerator<ServerSentEvent> {
    const response = await fetch(path, {
      method: options.body === undefined ? 'GET' : 'POST',
      headers: this.#headers(options.body === undefined ? 'GET' : 'POST', options.body !== undefined),
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: options.signal,
    });
    if (!response.ok) throw await this.#fail(response);
    if (response.body === null) return;
    const parser = new SseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* parser.push(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
}

/** Query string from defined, non-empty values. */
export function query(params: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
