import { resolve } from 'node:path';
import OpenAI from 'openai';
import type { ServerProcess } from './server-process.js';
import { testModelsDir } from './server-process.js';

/** Options of {@link storiesModelEnv}. */
export interface StoriesModelOptions {
  /** `LLM_CONTEXT_SIZE`. */
  readonly contextSize: number;
  /** `LLM_PARALLEL`, left to the server's default when absent. */
  readonly parallel?: number;
  /** The GGUF file name in the test models directory (default `stories260K-chat.gguf`). */
  readonly file?: string;
}

/**
 * The server environment that serves one of the tiny stories260K test models on one thread
 * (threads: 1 is 15–20 times faster than 2 for this tiny model, see the models README).
 */
export function storiesModelEnv(options: StoriesModelOptions): Record<string, string> {
  return {
    LLM_MODEL_PATH: resolve(testModelsDir(), options.file ?? 'stories260K-chat.gguf'),
    LLM_THREADS: '1',
    LLM_CONTEXT_SIZE: String(options.contextSize),
    ...(options.parallel === undefined ? {} : { LLM_PARALLEL: String(options.parallel) }),
  };
}

/**
 * The official `openai` client for a server process's `/v1`. No retries: a 503 must surface,
 * not be retried behind the test's back.
 */
export function openAiClientOf(server: ServerProcess, options: { apiKey?: string; timeoutMs: number }): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: options.apiKey ?? 'unused', maxRetries: 0, timeout: options.timeoutMs });
}
