import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PoolEvents, PoolRequestEvent } from '../pool/pool-events.js';

/** What the pooled-inference metrics read: the node's `PooledInference`. */
export interface PoolMetricsSource {
  /** One event per request forwarded to a peer or served for one. */
  readonly events: Pick<PoolEvents, 'on'>;
  /** The models peers advertise now, with their free slots (read when scraped). */
  peerModels(): readonly { readonly peer: string; readonly model: string; readonly slotsFree: number }[];
}

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Pooled-inference metrics (`LLM_POOL`): requests this node forwarded to a peer and requests it
 * served for a peer, by peer (node id), kind and outcome, with their tokens and durations; the
 * free slots each peer advertises, read when scraped. Requests served for a peer also count in
 * the `trosyn_llm_*` metrics (they run on this node's engine); forwarded ones do not (they run on
 * the peer's). Returns the function that unsubscribes.
 */
export function createPoolMetrics(registry: Registry, pool: PoolMetricsSource): () => void {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: readonly string[]) => new Counter({ name, help, labelNames, registers });
  const families = {
    forwarded: {
      requests: counter('trosyn_pool_forwarded_requests_total', 'Requests this node forwarded to a peer, by peer, kind (chat, completion, embedding) and outcome (completed, or the error code).', ['peer', 'kind', 'outcome']),
      promptTokens: counter('trosyn_pool_forwarded_prompt_tokens_total', 'Prompt tokens of the requests forwarded to a peer.', ['peer']),
      completionTokens: counter('trosyn_pool_forwarded_completion_tokens_total', 'Tokens a peer generated for requests forwarded to it.', ['peer']),
      duration: new Histogram({ name: 'trosyn_pool_forwarded_request_duration_seconds', help: 'Time from forwarding a request to a peer to the end of its answer.', buckets: DURATION_BUCKETS, registers }),
    },
    served: {
      requests: counter('trosyn_pool_served_requests_total', 'Requests a peer forwarded to this node, by peer, kind and outcome (completed, or the error code).', ['peer', 'kind', 'outcome']),
      promptTokens: counter('trosyn_pool_served_prompt_tokens_total', 'Prompt tokens of the requests served for a peer.', ['peer']),
      completionTokens: counter('trosyn_pool_served_completion_tokens_total', 'Tokens generated for requests served for a peer.', ['peer']),
      duration: new Histogram({ name: 'trosyn_pool_served_request_duration_seconds', help: 'Time from a peer\'s forwarded request to the end of this node\'s answer.', buckets: DURATION_BUCKETS, registers }),
    },
  };
  new Gauge({
    name: 'trosyn_pool_peer_slots_free',
    help: 'Free slots a peer advertises for a model it serves (peers whose advertisement went stale are left out).',
    labelNames: ['peer', 'model'] as const,
    registers,
    collect() {
      this.reset();
      for (const entry of pool.peerModels()) this.set({ peer: entry.peer, model: entry.model }, entry.slotsFree);
    },
  });

  const record = (event: PoolRequestEvent): void => {
    const family = families[event.direction];
    family.requests.inc({ peer: event.peer, kind: event.kind, outcome: event.outcome });
    // Also by 0, so that every peer has its token series from its first request on.
    family.promptTokens.inc({ peer: event.peer }, event.promptTokens);
    family.completionTokens.inc({ peer: event.peer }, event.completionTokens);
    family.duration.observe(event.durationMs / 1000);
  };
  return pool.events.on(record);
}
