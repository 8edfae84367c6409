import { useState } from 'preact/hooks';
import type { Session } from '../access/access-gate.js';
import { NodeApiError } from '../api/api-client.js';
import type { HistoryEntry, Item, ListPage } from '../api/types.js';
import { ErrorLine, Fields, JsonBlock } from '../components/fields.js';
import { usePoll } from '../hooks/use-poll.js';

const reasonText: Readonly<Record<HistoryEntry['reason'], string>> = {
  superseded: 'replaced by a later write',
  'conflict-loser': 'lost a conflict',
  'resync-removed': 'removed by a full resync',
};

/**
 * One item: its current version (or tombstone), its history newest first, and the restore
 * actions, each a new write through `POST /api/v1/items/{id}/restore` that replicates.
 */
export function ItemDetail(props: { readonly session: Session; readonly id: string; readonly onChanged: () => void }) {
  const { api } = props.session;
  const path = `/api/v1/items/${encodeURIComponent(props.id)}`;
  const detail = usePoll(
    async (signal) => {
      const [item, history] = await Promise.all([
        api.get<Item>(`${path}?include_deleted=true`, signal).catch((error: unknown) => {
          if (error instanceof NodeApiError && error.status === 404) return undefined;
          throw error;
        }),
        api.get<ListPage<HistoryEntry>>(`${path}/history?limit=100`, signal).catch((error: unknown) => {
          if (error instanceof NodeApiError && error.status === 404) return { object: 'list' as const, data: [] };
          throw error;
        }),
      ]);
      return { item, history: history.data };
    },
    5000,
    [props.id],
  );
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<Error | undefined>(undefined);
  const restore = async (historyId: number | undefined): Promise<void> => {
    setActionError(undefined);
    setMessage(undefined);
    try {
      const item = await api.json<Item>('POST', `${path}/restore`, historyId === undefined ? {} : { history_id: historyId });
      setMessage(`Restored as version ${item.version}: a new write, replicated to the peers.`);
      detail.refresh();
      props.onChanged();
    } catch (error) {
      setActionError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const value = detail.value;
  if (value === undefined) return <ErrorLine error={detail.error} />;
  const { item, history } = value;
  if (item === undefined && history.length === 0) return <p class="error">No item with id <code>{props.id}</code> on this node.</p>;
  return (
    <div class="item-detail" data-testid="item-detail">
      <h3>
        <code>{props.id}</code> {item?.deleted === true ? <span class="badge state-refused">deleted</span> : null}
      </h3>
      {item === undefined ? null : (
        <Fields
          rows={[
            ['type', item.type],
            ['version', String(item.version)],
            ['written by', <code>{item.node_id}</code>],
            ['written at', new Date(item.updated_at).toLocaleString()],
            ['hlc', <code class="small">{item.hlc}</code>],
          ]}
        />
      )}
      {item?.deleted === true ? (
        <p>
          <button onClick={() => void restore(undefined)} data-testid="recover">
            Recover the last version before the deletion
          </button>
        </p>
      ) : (
        <JsonBlock value={item?.data} />
      )}
      {message === undefined ? null : (
        <p class="ok" role="status" data-testid="restore-message">
          {message}
        </p>
      )}
      <ErrorLine error={detail.error ?? actionError} />
      <h4>History ({history.length})</h4>
      {history.length === 0 ? <p class="muted">No earlier versions.</p> : null}
      <ol class="history">
        {history.map((entry) => (
          <li key={entry.id} data-testid="history-entry">
            <div class="history-head">
              <span>
                version {entry.item.version} by <code>{entry.item.node_id}</code>, {reasonText[entry.reason]} on{' '}
                {new Date(entry.recorded_at).toLocaleString()}
              </span>
              {entry.item.deleted ? (
                <span class="muted">(a deletion)</span>
              ) : (
                <button class="secondary" onClick={() => void restore(entry.id)} data-testid="restore-version">
                  Restore this version
                </button>
              )}
            </div>
            {entry.item.deleted ? null : <JsonBlock value={entry.item.data} />}
          </li>
        ))}
      </ol>
    </div>
  );
}
