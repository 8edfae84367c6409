import type { ApiItem, LanNode } from './lan-node.js';

/** Options of {@link waitForConvergence}. */
export interface ConvergenceOptions {
  /** Only items of this type (each scenario writes its own type, so earlier ones do not interfere). */
  readonly type?: string;
  /** Items that must be present (live or deleted) before the nodes count as converged. */
  readonly mustInclude?: readonly string[];
  /** Expected number of items (tombstones included). */
  readonly count?: number;
  readonly timeoutMs?: number;
}

// What must be identical on every node: the replicated state. `updated_at` is left out because
// it is not part of the replicated identity of a version (a node may stamp it on arrival).
const replicatedState = (item: ApiItem): string =>
  JSON.stringify([item.id, item.type, item.data, item.deleted, item.version, item.hlc, item.node_id]);

/**
 * Polls every node's data API until all of them hold exactly the same items (id, type, data,
 * deleted, version, HLC and writing node), including `mustInclude`; resolves with the
 * converged items by id. Rejects after `timeoutMs` with what differs.
 */
export async function waitForConvergence(nodes: readonly LanNode[], options: ConvergenceOptions = {}): Promise<Map<string, ApiItem>> {
  const { timeoutMs = 20_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lists = await Promise.all(nodes.map((node) => node.listAll({ includeDeleted: true, ...(options.type !== undefined ? { type: options.type } : {}) })));
    const states = lists.map((items) => new Map(items.map((item) => [item.id, replicatedState(item)])));
    const first = states[0]!;
    const missing = (options.mustInclude ?? []).filter((id) => !first.has(id));
    const wrongCount = options.count !== undefined && first.size !== options.count;
    const differing = states.slice(1).flatMap((state, index) => {
      const ids = new Set([...first.keys(), ...state.keys()]);
      return [...ids].filter((id) => first.get(id) !== state.get(id)).map((id) => `${nodes[index + 1]!.name}:${id}`);
    });
    if (missing.length === 0 && !wrongCount && differing.length === 0) return new Map(lists[0]!.map((item) => [item.id, item]));
    const difference = `counts ${lists.map((items, index) => `${nodes[index]!.name}=${items.length}`).join(' ')}` +
      (options.count !== undefined ? ` (want ${options.count})` : '') +
      (missing.length > 0 ? `; missing on ${nodes[0]!.name}: ${missing.slice(0, 5).join(', ')}` : '') +
      (differing.length > 0 ? `; differing from ${nodes[0]!.name}: ${differing.slice(0, 5).join(', ')}${differing.length > 5 ? ` (+${differing.length - 5})` : ''}` : '');
    if (Date.now() > deadline) throw new Error(`nodes did not converge within ${timeoutMs} ms: ${difference}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
