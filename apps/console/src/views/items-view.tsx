import { useState } from 'preact/hooks';
import type { Session } from '../access/access-gate.js';
import { query } from '../api/api-client.js';
import type { Item, ListPage } from '../api/types.js';
import { ErrorLine } from '../components/fields.js';
import { usePoll } from '../hooks/use-poll.js';
import { ItemDetail } from './item-detail.js';

const PAGE = 50;

/** Items: browse the store by type, find an item by id, see its history, restore and recover. */
export function ItemsView(props: { readonly session: Session }) {
  const { api } = props.session;
  const [type, setType] = useState('');
  // What is typed, applied on Enter, blur or a pick from the list (see the conflicts filter).
  const [typeDraft, setTypeDraft] = useState('');
  const [includeDeleted, setIncludeDeleted] = useState(true);
  const [pages, setPages] = useState(1);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [typesSeen, setTypesSeen] = useState<ReadonlySet<string>>(new Set());
  const list = usePoll(
    async (signal) => {
      const items: Item[] = [];
      let cursor: string | number | null | undefined;
      for (let page = 0; page < pages; page++) {
        const answer = await api.get<ListPage<Item>>(
          `/api/v1/items${query({ type: type.trim(), include_deleted: includeDeleted, limit: PAGE, cursor: cursor ?? undefined })}`,
          signal,
        );
        items.push(...answer.data);
        cursor = answer.next_cursor;
        if (cursor === null || cursor === undefined) break;
      }
      setTypesSeen((seen) => (items.every((item) => seen.has(item.type)) ? seen : new Set([...seen, ...items.map((item) => item.type)])));
      return { items, more: cursor !== null && cursor !== undefined };
    },
    5000,
    [type, includeDeleted, pages],
  );
  const items = list.value?.items ?? [];
  return (
    <div class="split">
      <section class="card">
        <h2>Items</h2>
        <form
          class="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            if (search.trim() !== '') setSelected(search.trim());
          }}
        >
          <input type="search" placeholder="item id" value={search} onInput={(event) => setSearch(event.currentTarget.value)} data-testid="item-search" />
          <button type="submit">Open</button>
        </form>
        <div class="toolbar">
          <label>
            type{' '}
            <input
              list="item-types"
              value={typeDraft}
              placeholder="all types"
              onInput={(event) => setTypeDraft(event.currentTarget.value)}
              onChange={(event) => (setType(event.currentTarget.value), setPages(1))}
              data-testid="type-filter"
            />
          </label>
          <datalist id="item-types">
            {[...typesSeen].sort().map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <label>
            <input type="checkbox" checked={includeDeleted} onChange={(event) => setIncludeDeleted(event.currentTarget.checked)} /> deleted too
          </label>
        </div>
        <ErrorLine error={list.error} />
        <ul class="item-list">
          {items.map((item) => (
            <li key={item.id} class={`${item.deleted ? 'deleted' : ''} ${item.id === selected ? 'selected' : ''}`}>
              <button class="link" onClick={() => setSelected(item.id)} data-testid="item-link">
                <code>{item.id}</code>
              </button>{' '}
              <span class="muted">
                {item.type} · v{item.version}
                {item.deleted ? ' · deleted' : ''}
              </span>
            </li>
          ))}
        </ul>
        {list.value !== undefined && items.length === 0 ? <p class="muted">No items.</p> : null}
        {list.value?.more === true ? <button onClick={() => setPages(pages + 1)}>Show more</button> : null}
      </section>
      <section class="card">
        {selected === undefined ? (
          <p class="muted">Pick an item, or open one by id, to see its versions.</p>
        ) : (
          <ItemDetail key={selected} session={props.session} id={selected} onChanged={list.refresh} />
        )}
      </section>
    </div>
  );
}
