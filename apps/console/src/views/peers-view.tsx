import { useState } from 'preact/hooks';
import type { Session } from '../access/access-gate.js';
import { query } from '../api/api-client.js';
import type { PeerStatus, SyncNowOutcome, SyncStatus } from '../api/types.js';
import { ErrorLine } from '../components/fields.js';
import { formatBytes, formatRelative } from '../format.js';
import { usePoll } from '../hooks/use-poll.js';
import { PoolSection } from './pool-section.js';

// What each scheduler state means to an operator (apps/server/src/sync/sync-scheduler.ts).
const stateHelp: Readonly<Record<string, string>> = {
  candidate: 'known, not yet authenticated',
  connecting: 'handshake in progress',
  syncing: 'a sync round is running',
  idle: 'in sync, waiting for changes',
  backoff: 'last round failed; retrying later',
  refused: 'refuses us: another shared secret, or it rate-limits us',
  offline: 'gone from the network',
  self: 'this node itself',
};

function PeerRow(props: { readonly peer: PeerStatus; readonly now: number; readonly busy: boolean; readonly onSync: () => void }) {
  const { peer, now } = props;
  return (
    <tr data-testid="peer-row" data-state={peer.state}>
      <td>
        <strong>{peer.name ?? '—'}</strong>
        <br />
        <code class="small">{peer.peer_id ?? 'not authenticated yet'}</code>
      </td>
      <td>
        <span class={`badge state-${peer.state}`} title={stateHelp[peer.state] ?? peer.state}>
          {peer.state === 'refused' ? 'refuses us' : peer.state}
        </span>
        <div class="small muted">{stateHelp[peer.state] ?? ''}</div>
      </td>
      <td>
        <code>{peer.address ?? '—'}</code>
      </td>
      <td>{peer.source}</td>
      <td title={peer.last_sync_at ?? ''}>{formatRelative(peer.last_sync_at, now)}</td>
      <td class="number">{peer.pending_changes}</td>
      <td class="last-error">
        {peer.last_error === null ? (
          '—'
        ) : (
          <span title={peer.last_error.at}>
            <code>{peer.last_error.code}</code> {peer.last_error.message}
          </span>
        )}
        {peer.next_attempt_at === null ? null : <div class="small muted">next attempt {formatRelative(peer.next_attempt_at, now)}</div>}
      </td>
      <td>
        <button class="secondary" onClick={props.onSync} disabled={props.busy} data-testid="sync-peer">
          Sync
        </button>
      </td>
    </tr>
  );
}

function SyncReport(props: { readonly outcomes: readonly SyncNowOutcome[] }) {
  if (props.outcomes.length === 0) return <p class="muted">No peer to sync with.</p>;
  return (
    <ul class="report" data-testid="sync-report">
      {props.outcomes.map((outcome) => (
        <li key={`${outcome.address}-${outcome.peer_id}`} class={outcome.ok ? 'ok' : 'error'}>
          <code>{outcome.peer_id ?? outcome.address}</code>:{' '}
          {outcome.ok
            ? `pulled ${outcome.pulled?.changes ?? 0} (${formatBytes(outcome.pulled?.bytes ?? 0)}), pushed ${outcome.pushed?.changes ?? 0} ` +
              `(${formatBytes(outcome.pushed?.bytes ?? 0)}), ${outcome.conflicts ?? 0} conflict(s), ${outcome.duration_ms ?? 0} ms`
            : `${outcome.error?.code ?? 'error'}: ${outcome.error?.message ?? ''}`}
        </li>
      ))}
    </ul>
  );
}

/** Peers: every peer the scheduler knows, its state and errors, a "sync now" button, and the pool's view of each. */
export function PeersView(props: { readonly session: Session }) {
  const { api } = props.session;
  const status = usePoll((signal) => api.get<SyncStatus>('/api/v1/sync/status', signal), 2000);
  const [syncing, setSyncing] = useState(false);
  const [report, setReport] = useState<readonly SyncNowOutcome[] | undefined>(undefined);
  const [actionError, setActionError] = useState<Error | undefined>(undefined);
  // With `peer` (its node id, or its address before it authenticated), a round with that peer only.
  const syncNow = async (peer?: string): Promise<void> => {
    setSyncing(true);
    setActionError(undefined);
    try {
      const answer = await api.json<{ data: SyncNowOutcome[] }>('POST', `/api/v1/sync/now${query({ peer })}`);
      setReport(answer.data);
      status.refresh();
    } catch (error) {
      setActionError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setSyncing(false);
    }
  };
  const s = status.value;
  const peers = s?.peers.filter((peer) => peer.state !== 'self') ?? [];
  return (
    <div class="grid">
      <section class="card wide">
        <h2>
          Peers
          <button onClick={() => void syncNow()} disabled={syncing || s?.enabled === false} data-testid="sync-now">
            {syncing ? 'Syncing…' : 'Sync now with every peer'}
          </button>
        </h2>
        {s === undefined ? null : s.enabled ? (
          <p class="muted">
            This node: <code>{s.node_id}</code>, sync port {s.port ?? '—'}, epoch <code>{s.epoch}</code>, {s.last_seq} change(s) in its log.
          </p>
        ) : (
          <p class="notice">LAN sync is off on this node: {s.disabled_reason ?? 'disabled'}</p>
        )}
        <ErrorLine error={status.error ?? actionError} />
        {report === undefined ? null : <SyncReport outcomes={report} />}
        <table class="table">
          <thead>
            <tr>
              <th>peer</th>
              <th>state</th>
              <th>address</th>
              <th>source</th>
              <th>last sync</th>
              <th>pending</th>
              <th>last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {peers.map((peer) => (
              <PeerRow
                key={`${peer.address}-${peer.peer_id}`}
                peer={peer}
                now={Date.now()}
                busy={syncing}
                onSync={() => void syncNow(peer.peer_id ?? peer.address ?? undefined)}
              />
            ))}
            {s !== undefined && peers.length === 0 ? (
              <tr>
                <td colSpan={8} class="muted">
                  No peers yet: they appear when mDNS finds them, when one connects to us, or from LAN_SYNC_PEERS.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </section>
      <PoolSection session={props.session} />
    </div>
  );
}
