import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GenerationEvent } from '../engine.js';
import type { ModelHost, ModelState } from '../model-host.js';

const MODEL_STATES: readonly ModelState['status'][] = ['loading', 'loaded', 'missing', 'error'];

/**
 * The model's metrics: requests by kind and outcome, tokens, time to first token, time per
 * output token, queue wait and duration, from the engine's `generation` events; slots, queue
 * and the model's load state read when scraped. Follows the model host: subscribes to the
 * engine once it is loaded. Returns the function that unsubscribes.
 */
export function createLlmMetrics(registry: Registry, model: ModelHost): () => void {
  const registers = [registry];
  const requests = new Counter({
    name: 'trosyn_llm_requests_total',
    help: 'Generation requests by kind (chat, completion) and outcome (completed, or the engine error: aborted, queue-full, context-overflow, ...).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const promptTokens = new Counter({ name: 'trosyn_llm_prompt_tokens_total', help: 'Prompt tokens of generation requests.', registers });
  const cachedTokens = new Counter({ name: 'trosyn_llm_cached_prompt_tokens_total', help: "Prompt tokens reused from a slot's KV cache.", registers });
  const completionTokens = new Counter({ name: 'trosyn_llm_completion_tokens_total', help: 'Tokens generated (aborted generations included).', registers });
  const timeToFirstToken = new Histogram({
    name: 'trosyn_llm_time_to_first_token_seconds',
    help: 'Time from a request to its first generated token: queue wait and prompt evaluation.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const timePerOutputToken = new Histogram({
    name: 'trosyn_llm_time_per_output_token_seconds',
    help: 'Mean time between generated tokens after the first, per request.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  const queueWait = new Histogram({
    name: 'trosyn_llm_queue_wait_seconds',
    help: 'Time a request waited for a slot.',
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const duration = new Histogram({
    name: 'trosyn_llm_request_duration_seconds',
    help: 'Time from a generation request to its end.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });

  const stats = () => (model.state.status === 'loaded' ? model.require().engine.stats() : undefined);
  new Gauge({ name: 'trosyn_llm_slots', help: 'Slots of the loaded model (requests generated together).', registers, collect() { this.set(stats()?.slots ?? 0); } });
  new Gauge({ name: 'trosyn_llm_slots_busy', help: 'Slots generating right now.', registers, collect() { this.set(stats()?.slotsInUse ?? 0); } });
  new Gauge({ name: 'trosyn_llm_queue_depth', help: 'Requests waiting for a slot.', registers, collect() { this.set(stats()?.queueDepth ?? 0); } });
  new Gauge({ name: 'trosyn_llm_queue_capacity', help: 'Requests allowed to wait for a slot (LLM_MAX_QUEUE).', registers, collect() { this.set(stats()?.maxQueue ?? 0); } });
  new Gauge({
    name: 'trosyn_llm_model_state',
    help: 'The model\'s load state: 1 for the current one of loading, loaded, missing (no file), error.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      for (const state of MODEL_STATES) this.set({ state }, model.state.status === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'trosyn_llm_model_info',
    help: 'The loaded model (1), by id, architecture, quantization and context size per slot.',
    labelNames: ['model', 'architecture', 'quantization', 'context_size'] as const,
    registers,
    collect() {
      this.reset();
      const state = model.state;
      if (state.status !== 'loaded') return;
      const { info } = state;
      this.set({ model: info.id, architecture: info.architecture, quantization: info.quantization ?? '', context_size: info.contextSize }, 1);
    },
  });

  const record = (event: GenerationEvent): void => {
    requests.inc({ kind: event.kind, outcome: event.outcome });
    if (event.promptTokens !== undefined) promptTokens.inc(event.promptTokens);
    if (event.cachedPromptTokens !== undefined) cachedTokens.inc(event.cachedPromptTokens);
    completionTokens.inc(event.completionTokens);
    if (event.timeToFirstTokenMs !== undefined) timeToFirstToken.observe(event.timeToFirstTokenMs / 1000);
    if (event.timePerOutputTokenMs !== undefined) timePerOutputToken.observe(event.timePerOutputTokenMs / 1000);
    if (event.queueMs !== undefined) queueWait.observe(event.queueMs / 1000);
    duration.observe(event.durationMs / 1000);
  };
  let unsubscribeEngine: (() => void) | undefined;
  const follow = (state: ModelState): void => {
    unsubscribeEngine?.();
    unsubscribeEngine = state.status === 'loaded' ? model.require().engine.on('generation', record) : undefined;
  };
  follow(model.state);
  const unsubscribeModel = model.onStateChange(follow);
  return () => {
    unsubscribeModel();
    unsubscribeEngine?.();
  };
}
