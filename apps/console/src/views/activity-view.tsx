import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../access/access-gate.js';
import { query } from '../api/api-client.js';
import type { ChangeEvent, RecentRequest } from '../api/types.js';
import { ErrorLine } from '../components/fields.js';
import { usePoll } from '../hooks/use-poll.js';

const KEEP = 200;

/** Follows `GET /api/v1/changes` from now on, reconnecting after its last position. */
function useChangeFeed(session: Session): { readonly changes: readonly ChangeEvent[]; readonly connected: boolean; readonly error: string | undefined } {
  const [changes, setChanges] = useState<readonly ChangeEvent[]>([]);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    let position = 'now';
    const follow = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        try {
          for await (const event of session.api.events(`/api/v1/changes${query({ since: position })}`, { signal: controller.signal })) {
            if (event.id !== undefined) position = event.id;
            if (event.event === 'ready') {
              setConnected(true);
              setError(undefined);
            } else if (event.event === 'reset') {
              setChanges([]);
            } else if (event.event === 'change') {
              const change = JSON.parse(event.data) as ChangeEvent;
              setChanges((list) => [change, ...list].slice(0, KEEP));
            }
          }
        } catch (caught) {
          if (controller.signal.aborted) return;
          setError(caught instanceof Error ? caught.message : String(caught));
        }
        setConnected(false);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    };
    void follow();
    return () => controller.abort();
  }, [session.api]);
  return { changes, connected, error };
}

function tokens(request: RecentRequest): string {
  if (request.prompt_tokens === null) return '';
  const cached = request.cached_tokens ? ` (${request.cached_tokens} cached)` : '';
  return `${request.prompt_tokens}${cached} → ${request.completion_tokens ?? 0}`;
}

/** Activity: the live change feed, and the node's recent requests with outcome and tokens. */
export function ActivityView(props: { readonly session: Session }) {
  const feed = useChangeFeed(props.session);
  const [showConsole, setShowConsole] = useState(false);
  const requests = usePoll(
    (signal) => props.session.api.get<{ data: RecentRequest[] }>(`/api/v1/admin/requests${query({ limit: 100, include_console: showConsole })}`, signal),
    2000,
    [showConsole],
  );
  return (
    <div class="split">
      <section class="card">
        <h2>
          Changes <span class={`badge ${feed.connected ? 'state-idle' : 'state-backoff'}`}>{feed.connected ? 'live' : 'connecting'}</span>
        </h2>
        <p class="muted">Every write on this node, local or replicated from a peer, as it happens (newest first).</p>
        <ErrorLine error={feed.error} />
        <ul class="feed" data-testid="change-feed">
          {feed.changes.map((change) => (
            <li key={change.position} data-testid="change">
              <code>{change.item.id}</code> <span class="muted">{change.item.type}</span> v{change.item.version}
              {change.item.deleted ? <span class="badge state-refused">deleted</span> : null}{' '}
              {change.peer_id === null ? <span class="badge">local</span> : <span class="badge state-syncing">from {change.peer_id}</span>}
              <span class="muted small"> {new Date(change.item.updated_at).toLocaleTimeString()}</span>
            </li>
          ))}
        </ul>
        {feed.connected && feed.changes.length === 0 ? <p class="muted">Waiting for changes…</p> : null}
      </section>
      <section class="card">
        <h2>Recent requests</h2>
        <label class="toolbar">
          <input type="checkbox" checked={showConsole} onChange={(event) => setShowConsole(event.currentTarget.checked)} /> include the
          console's own requests
        </label>
        <ErrorLine error={requests.error} />
        <table class="table" data-testid="recent-requests">
          <thead>
            <tr>
              <th>time</th>
              <th>request</th>
              <th>status</th>
              <th>outcome</th>
              <th>ms</th>
              <th>tokens in → out</th>
            </tr>
          </thead>
          <tbody>
            {(requests.value?.data ?? []).map((request) => (
              <tr key={request.request_id} class={request.status >= 400 ? 'error' : ''}>
                <td class="small">{new Date(request.started_at).toLocaleTimeString()}</td>
                <td>
                  <code>
                    {request.method} {request.path}
                  </code>
                </td>
                <td>{request.status}</td>
                <td>{request.outcome ?? ''}</td>
                <td class="number">{request.duration_ms}</td>
                <td class="number">{tokens(request)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
