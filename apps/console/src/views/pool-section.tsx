import type { Session } from '../access/access-gate.js';
import type { Health } from '../api/types.js';
import { ErrorLine } from '../components/fields.js';
import { usePoll } from '../hooks/use-poll.js';
import { describeAdvertisementAge, describePoolEmbedding, describePoolModels, poolModeHelp } from '../pool-format.js';

/**
 * The Peers view's pooled-inference card (`/health`'s `pool` section): the mode, and what each
 * peer last advertised — its models with free slots and queue, its embedding engine's load, and
 * how old that advertisement is (a stale one is not used to route requests).
 */
export function PoolSection(props: { readonly session: Session }) {
  const { api } = props.session;
  const health = usePoll((signal) => api.get<Health>('/health', signal), 1000);
  const pool = health.value?.pool;
  return (
    <section class="card wide" data-testid="pool-card">
      <h2>
        Pooled inference {pool === undefined ? null : <span class="badge" data-testid="pool-mode">{pool.mode}</span>}
      </h2>
      <ErrorLine error={health.error} />
      {health.value === undefined ? null : pool === undefined ? (
        <p class="muted">No pool on this node: LAN sync is off, so no peer serves it.</p>
      ) : (
        <>
          <p class="muted">
            {poolModeHelp[pool.mode]}. Peers are asked what they serve every {pool.status_interval_ms} ms; an advertisement older than{' '}
            {pool.status_stale_ms} ms is stale and not used (LLM_POOL_STATUS_INTERVAL_MS, LLM_POOL_STATUS_STALE_MS).
          </p>
          <table class="table">
            <thead>
              <tr>
                <th>peer</th>
                <th>chat models: free slots, queue</th>
                <th>embeddings</th>
                <th>advertised</th>
              </tr>
            </thead>
            <tbody>
              {pool.peers.map((peer) => (
                <tr key={peer.node_id} data-testid="pool-peer" data-stale={String(peer.stale)} class={peer.stale ? 'stale' : undefined}>
                  <td>
                    <strong>{peer.node_name}</strong>
                    <br />
                    <code class="small">{peer.node_id}</code>
                  </td>
                  <td data-testid="pool-models">{describePoolModels(peer)}</td>
                  <td data-testid="pool-embedding">{describePoolEmbedding(peer)}</td>
                  <td data-testid="pool-age">
                    {peer.stale ? <span class="badge state-offline">stale</span> : null} {describeAdvertisementAge(peer, pool.status_stale_ms)}
                  </td>
                </tr>
              ))}
              {pool.peers.length === 0 ? (
                <tr>
                  <td colSpan={4} class="muted">
                    No peer has advertised yet: peers appear once authenticated and answering status polls.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
