import type { ModelHost } from '../model-host.js';

/** What the OpenAI routes need from the app. */
export interface GenerationRouteDependencies {
  readonly model: ModelHost;
  /** Extra accepted `model` names (`TROSYN_MODEL_ALIASES`). */
  readonly modelAliases: readonly string[];
  /** See `createSseResponse`. */
  readonly sseKeepAliveMs: number;
  /** Aborted when a graceful shutdown runs out of time: every generation stops. */
  readonly shutdownSignal: AbortSignal;
}
