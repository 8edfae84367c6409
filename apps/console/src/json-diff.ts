/** A leaf of a JSON value: its path (`data.lines[2].qty`) and its value as compact JSON text. */
export type FlatJson = ReadonlyMap<string, string>;

/**
 * Flattens a JSON value into its leaves. Empty objects and arrays are leaves of their own
 * (`{}`, `[]`), so `{a: {}}` and `{}` differ; a missing key and `null` differ too.
 */
export function flattenJson(value: unknown, root = '$'): FlatJson {
  const leaves = new Map<string, string>();
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      if (node.length === 0) leaves.set(path, '[]');
      node.forEach((child, index) => walk(child, `${path}[${index}]`));
    } else if (node !== null && typeof node === 'object') {
      const keys = Object.keys(node).sort();
      if (keys.length === 0) leaves.set(path, '{}');
      for (const key of keys) {
        const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
        walk((node as Record<string, unknown>)[key], `${path}${segment}`);
      }
    } else {
      leaves.set(path, node === undefined ? 'undefined' : JSON.stringify(node));
    }
  };
  walk(value, root);
  return leaves;
}

/** One row of a side-by-side comparison: a path and its value in each column (`undefined`: absent). */
export interface DiffRow {
  readonly path: string;
  readonly values: readonly (string | undefined)[];
  /** Whether the columns disagree on this path. */
  readonly differs: boolean;
}

/**
 * Compares several JSON values side by side (a conflict's local, remote and result versions):
 * one row per leaf path present in any of them, in path order, flagged where they differ.
 */
export function diffJson(columns: readonly unknown[]): DiffRow[] {
  const flats = columns.map((column) => flattenJson(column));
  const paths = [...new Set(flats.flatMap((flat) => [...flat.keys()]))].sort(comparePaths);
  return paths.map((path) => {
    const values = flats.map((flat) => flat.get(path));
    return { path, values, differs: values.some((value) => value !== values[0]) };
  });
}

// Orders `a[2]` before `a[10]`: numeric segments compare as numbers.
function comparePaths(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
