import type { Item } from '../api/types.js';
import { diffJson } from '../json-diff.js';

/**
 * Several versions of one item side by side (a conflict's local, remote and result): the
 * metadata rows, then one row per JSON leaf of `data`, rows that differ highlighted.
 */
export function VersionDiff(props: { readonly columns: readonly { readonly label: string; readonly item: Item }[] }) {
  const { columns } = props;
  const meta: readonly [string, (item: Item) => string][] = [
    ['version', (item) => String(item.version)],
    ['node', (item) => item.node_id],
    ['written', (item) => item.updated_at],
    ['deleted', (item) => (item.deleted ? 'yes (tombstone)' : 'no')],
  ];
  const rows = diffJson(columns.map((column) => column.item.data));
  return (
    <table class="diff" data-testid="version-diff">
      <thead>
        <tr>
          <th />
          {columns.map((column) => (
            <th key={column.label}>{column.label}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {meta.map(([label, read]) => {
          const values = columns.map((column) => read(column.item));
          return (
            <tr key={label} class={values.some((value) => value !== values[0]) ? 'meta differs' : 'meta'}>
              <th>{label}</th>
              {values.map((value, index) => (
                <td key={index}>{value}</td>
              ))}
            </tr>
          );
        })}
        {rows.map((row) => (
          <tr key={row.path} class={row.differs ? 'differs' : ''}>
            <th>
              <code>{row.path.replace(/^\$\.?/, 'data.').replace(/^data\.$/, 'data')}</code>
            </th>
            {row.values.map((value, index) => (
              <td key={index}>{value === undefined ? <span class="absent">absent</span> : <code>{value}</code>}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
