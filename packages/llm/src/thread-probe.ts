import type { LlamaModel } from 'node-llama-cpp';
import type { ThreadChoice, ThreadMeasurement } from './thread-default.js';

/** Single-token decodes timed per thread count and round; the fastest of each count is kept. */
const DECODES_PER_ROUND = 6;
/** Rounds alternate the thread counts, so a burst of load elsewhere hits each count alike. */
const ROUNDS = 2;
/** Any text: only the time of a decode matters. */
const PROBE_TEXT = 'The quick brown fox jumps over the lazy dog while the office printer hums.';

/**
 * Times single-token decodes of `model` at each thread count in `measurement.measure`, each in a
 * small context of its own (public API only; the real context is created afterwards with the
 * winner), and returns the fastest count. A tie within 5 % goes to fewer threads, which leaves a
 * core to the rest of the machine. Takes about `2 × ROUNDS × (DECODES_PER_ROUND + 1)` decodes.
 */
export async function measureThreads(model: LlamaModel, measurement: ThreadMeasurement): Promise<ThreadChoice> {
  const tokens = model.tokenize(PROBE_TEXT).slice(0, DECODES_PER_ROUND + 1);
  const best = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? measurement.measure : [...measurement.measure].reverse();
    for (const threads of order) {
      const ms = await msPerDecode(model, threads, tokens);
      best.set(threads, Math.min(best.get(threads) ?? Number.POSITIVE_INFINITY, ms));
    }
  }
  const ranked = [...best.entries()].sort((a, b) => a[0] - b[0]);
  let [threads, fastest] = ranked[0] ?? [1, 0];
  for (const [count, ms] of ranked.slice(1)) {
    if (ms < fastest * 0.95) [threads, fastest] = [count, ms];
  }
  const figures = ranked.map(([count, ms]) => `${count}: ${ms.toFixed(1)} ms`).join(', ');
  return { threads, source: 'measured', reason: `${threads} (measured at load on a ${measurement.size}, ms per token: ${figures})` };
}

/** The fastest single-token decode of `tokens` (the first one, which warms the context, not counted). */
async function msPerDecode(model: LlamaModel, threads: number, tokens: readonly number[]): Promise<number> {
  const context = await model.createContext({ contextSize: 256, sequences: 1, threads });
  try {
    const sequence = context.getSequence();
    let fastest = Number.POSITIVE_INFINITY;
    for (const [index, token] of tokens.entries()) {
      const started = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens([token as never]);
      if (index > 0) fastest = Math.min(fastest, performance.now() - started);
    }
    return fastest;
  } finally {
    await context.dispose();
  }
}
