import { createApp, type AppConfig } from '../src/app.js';
import { ModelHost } from '../src/model-host.js';
import type { LogFields, Logger, LogLevel } from '../src/logger.js';
import { FakeEngine } from './fake-engine.js';

/** A captured log line. */
export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** An app around a {@link FakeEngine}, with captured logs. */
export function testApp(config: Partial<AppConfig> = {}, engine = new FakeEngine()) {
  const logs: LogLine[] = [];
  const logger: Logger = { log: (level, message, fields = {}) => logs.push({ level, message, fields }) };
  const app = createApp({ model: ModelHost.fromEngine(engine), config: { sseKeepAliveMs: 1000, ...config }, logger });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { app, engine, logs, post };
}

/** One parsed server-sent event stream. */
export interface ParsedSse {
  /** Parsed `data:` payloads, `[DONE]` kept as the string. */
  readonly data: unknown[];
  readonly comments: string[];
  /** The `event:` name of each `data:` payload (undefined where there was none). */
  readonly events: (string | undefined)[];
}

/** Parses an SSE body into its `data:` payloads and `:` comments. */
export function parseSse(text: string): ParsedSse {
  const data: unknown[] = [];
  const comments: string[] = [];
  const events: (string | undefined)[] = [];
  for (const event of text.split('\n\n')) {
    if (event === '') continue;
    let name: string | undefined;
    for (const line of event.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) name = line.slice('event: '.length);
      else if (line.startsWith('data: ')) {
        const payload = line.slice('data: '.length);
        data.push(payload === '[DONE]' ? payload : JSON.parse(payload));
        events.push(name);
      } else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
    }
  }
  return { data, comments, events };
}

/**
 * The JSON body of a response, loosely typed: tests first check it against OpenAI's schema
 * with Ajv, then read fields.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- shape is checked by assertMatchesSpec
export async function json(response: Response): Promise<any> {
  return response.json();
}
