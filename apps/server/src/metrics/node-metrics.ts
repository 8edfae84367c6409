import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ModelHost } from '../model-host.js';
import type { RequestEndEvent } from '../request-scope.js';
import { createHttpMetrics } from './http-metrics.js';
import { createLlmMetrics } from './llm-metrics.js';
import { createPoolMetrics, type PoolMetricsSource } from './pool-metrics.js';
import { createSyncMetrics, type SyncMetricsSource } from './sync-metrics.js';

/** What a node's metrics observe. */
export interface NodeMetricsSources {
  readonly model: ModelHost;
  /** The data store and LAN sync (`LanSyncService`); without it, no sync metrics. */
  readonly sync?: SyncMetricsSource | undefined;
  /** Pooled inference (`createPooledInference`); without it, no pool metrics. */
  readonly pool?: PoolMetricsSource | undefined;
}

/** A node's metrics: one Prometheus registry fed by the events of the app, the engine and sync. */
export interface NodeMetrics {
  /** The media type of {@link NodeMetrics.render}'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** Every metric in the Prometheus text format (reads the gauges' current values first). */
  render(): Promise<string>;
  /** The app's request-end listener (HTTP metrics). */
  readonly recordRequest: (event: RequestEndEvent) => void;
  /** Unsubscribes from every source. Idempotent. */
  dispose(): void;
}

/**
 * Creates a node's metrics (`/metrics`): HTTP, LLM, LAN sync and pooled-inference metrics under
 * the `trosyn_` prefix, and prom-client's standard process and Node.js metrics (`process_resident_memory_bytes`,
 * `nodejs_eventloop_lag_seconds`, heap, GC). Metrics subscribe to typed events; nothing in the
 * engines or the sync runtime knows about them. Each call has its own registry.
 *
 * @example
 * ```ts
 * const metrics = createNodeMetrics({ model, sync, pool });
 * const app = createApp({ model, data: sync, metrics });
 * ```
 */
export function createNodeMetrics(sources: NodeMetricsSources): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges that prom-client names like counters: `promtool check metrics` rejects them, and the
  // numbers of open handles and requests say little that the event-loop lag does not.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const recordRequest = createHttpMetrics(registry);
  const disposers = [createLlmMetrics(registry, sources.model)];
  if (sources.sync !== undefined) disposers.push(createSyncMetrics(registry, sources.sync));
  if (sources.pool !== undefined) disposers.push(createPoolMetrics(registry, sources.pool));
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    recordRequest,
    dispose: () => {
      for (const dispose of disposers.splice(0)) dispose();
    },
  };
}
