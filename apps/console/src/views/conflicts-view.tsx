import { useState } from 'preact/hooks';
import type { Session } from '../access/access-gate.js';
import { query } from '../api/api-client.js';
import type { Conflict, ListPage } from '../api/types.js';
import { ErrorLine } from '../components/fields.js';
import { VersionDiff } from '../components/version-diff.js';
import { usePoll } from '../hooks/use-poll.js';

function ConflictEntry(props: {
  readonly conflict: Conflict;
  readonly selected: boolean;
  readonly onSelect: (selected: boolean) => void;
  readonly onAcknowledge: () => void;
}) {
  const { conflict } = props;
  const [open, setOpen] = useState(false);
  return (
    <li class={`conflict ${conflict.acknowledged_at === null ? 'unacknowledged' : 'acknowledged'}`} data-testid="conflict" data-item-id={conflict.item_id}>
      <div class="conflict-head">
        <input
          type="checkbox"
          aria-label={`select conflict ${conflict.id}`}
          checked={props.selected}
          disabled={conflict.acknowledged_at !== null}
          onChange={(event) => props.onSelect(event.currentTarget.checked)}
        />
        <button class="link" onClick={() => setOpen(!open)} aria-expanded={open}>
          #{conflict.id} <code>{conflict.item_id}</code>
        </button>
        <span>
          {conflict.winner} version won by rule <code>{conflict.rule}</code>, with peer <code>{conflict.peer_id}</code>
        </span>
        <span class="muted">{new Date(conflict.detected_at).toLocaleString()}</span>
        {conflict.acknowledged_at === null ? (
          <button onClick={props.onAcknowledge} data-testid="acknowledge-one">
            Acknowledge
          </button>
        ) : (
          <span class="badge state-idle">acknowledged {new Date(conflict.acknowledged_at).toLocaleString()}</span>
        )}
      </div>
      {open ? (
        <VersionDiff
          columns={[
            { label: 'local (this node)', item: conflict.local },
            { label: `remote (${conflict.peer_id})`, item: conflict.remote },
            { label: 'result', item: conflict.result },
          ]}
        />
      ) : null}
    </li>
  );
}

/** Conflicts: the log for review, both versions and the result side by side, acknowledgement. */
export function ConflictsView(props: { readonly session: Session }) {
  const { api } = props.session;
  const [onlyUnacknowledged, setOnlyUnacknowledged] = useState(true);
  const [itemId, setItemId] = useState('');
  // What is typed, applied to the list on Enter or blur: a controlled input without its own
  // draft was reset to the applied value by every poll's re-render, wiping what was being typed.
  const [itemIdDraft, setItemIdDraft] = useState('');
  const [pages, setPages] = useState(1);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [actionError, setActionError] = useState<Error | undefined>(undefined);
  const list = usePoll(
    async (signal) => {
      const conflicts: Conflict[] = [];
      let cursor: string | number | null | undefined;
      for (let page = 0; page < pages; page++) {
        const answer = await api.get<ListPage<Conflict>>(
          `/api/v1/conflicts${query({ unacknowledged: onlyUnacknowledged ? true : undefined, item_id: itemId.trim(), limit: 100, cursor: cursor ?? undefined })}`,
          signal,
        );
        conflicts.push(...answer.data);
        cursor = answer.next_cursor;
        if (cursor === null || cursor === undefined) return { conflicts, more: false };
      }
      return { conflicts, more: true };
    },
    5000,
    [onlyUnacknowledged, itemId, pages],
  );
  const acknowledge = async (ids: readonly number[]): Promise<void> => {
    setActionError(undefined);
    try {
      await api.json('POST', '/api/v1/conflicts/acknowledge', { ids });
      setSelected(new Set());
      list.refresh();
    } catch (error) {
      setActionError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const conflicts = list.value?.conflicts ?? [];
  return (
    <section class="card wide">
      <h2>Conflicts</h2>
      <p class="muted">
        Concurrent writes resolved last-write-wins by (HLC, node id); each is logged with both versions for review. Acknowledging marks
        an entry as reviewed; to keep the other version, restore it from the item's history (Items).
      </p>
      <div class="toolbar">
        <label>
          <input type="checkbox" checked={onlyUnacknowledged} onChange={(event) => setOnlyUnacknowledged(event.currentTarget.checked)} /> unacknowledged only
        </label>
        <label>
          item id <input
            type="search"
            value={itemIdDraft}
            placeholder="any item"
            onInput={(event) => setItemIdDraft(event.currentTarget.value)}
            onChange={(event) => setItemId(event.currentTarget.value)}
            data-testid="conflict-item-filter"
          />
        </label>
        <button disabled={selected.size === 0} onClick={() => void acknowledge([...selected])} data-testid="acknowledge-selected">
          Acknowledge {selected.size} selected
        </button>
        <button
          class="secondary"
          onClick={() => setSelected(new Set(conflicts.filter((conflict) => conflict.acknowledged_at === null).map((conflict) => conflict.id)))}
        >
          Select all shown
        </button>
      </div>
      <ErrorLine error={list.error ?? actionError} />
      <ul class="conflicts">
        {conflicts.map((conflict) => (
          <ConflictEntry
            key={conflict.id}
            conflict={conflict}
            selected={selected.has(conflict.id)}
            onSelect={(on) => {
              const next = new Set(selected);
              if (on) next.add(conflict.id);
              else next.delete(conflict.id);
              setSelected(next);
            }}
            onAcknowledge={() => void acknowledge([conflict.id])}
          />
        ))}
      </ul>
      {list.value !== undefined && conflicts.length === 0 ? <p class="muted" data-testid="no-conflicts">No conflicts to show.</p> : null}
      {list.value?.more === true ? <button onClick={() => setPages(pages + 1)}>Show more</button> : null}
    </section>
  );
}
