import { createHash } from 'node:crypto';
import type { EngineStats } from '../engine.js';
import type { PoolMode } from '../config.js';
import type { PoolModel } from './pool-protocol.js';

/** A node that can serve the requested model: this one (`self`) or a peer. */
export interface PoolCandidate {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly self: boolean;
  readonly model: Pick<PoolModel, 'slots' | 'slotsFree' | 'queueDepth'>;
}

/** What decides one request: the mode, the local engine's occupancy (when it serves the model), the candidates. */
export interface PoolChoiceInput {
  readonly mode: PoolMode;
  /** The local engine's stats when this node serves the requested model; undefined when it does not. */
  readonly local: EngineStats | undefined;
  /** Peers serving the requested model (this node not included). */
  readonly peers: readonly PoolCandidate[];
  /** The conversation's key (`balance`): the same conversation goes to the same node. */
  readonly affinity: string | undefined;
  readonly selfId: string;
}

/** The peer with the most free slots, then the shortest queue; only peers with a free slot when `needFree`. */
export function bestPeer(peers: readonly PoolCandidate[], needFree: boolean): PoolCandidate | undefined {
  const ranked = [...peers].filter((peer) => !needFree || peer.model.slotsFree > 0).sort((a, b) => b.model.slotsFree - a.model.slotsFree || a.model.queueDepth - b.model.queueDepth);
  return ranked[0];
}

// Rendezvous hashing: each conversation's owner stays the same while the set of nodes does, and
// only the conversations of a node that comes or goes move.
function owner(affinity: string, nodeIds: readonly string[]): string | undefined {
  let best: { id: string; score: string } | undefined;
  for (const id of nodeIds) {
    const score = createHash('sha256').update(`${affinity}\n${id}`).digest('hex');
    if (best === undefined || score > best.score) best = { id, score };
  }
  return best?.id;
}

function saturated(noFreeSlot: boolean, queueDepth: number): boolean {
  return noFreeSlot && queueDepth > 0;
}

/**
 * Where one request runs: `'local'`, a peer, or undefined (no node serves the model; the caller
 * answers as without a pool). `fallback`: local when this node serves the model, unless every
 * slot is busy and the queue is non-empty while a peer has a free slot; else the best peer.
 * `balance`: the conversation's owner among the nodes serving the model (its prompt cache
 * holds the conversation), unless the owner is a peer with every slot busy and a queue; then
 * as `fallback`.
 */
export function choosePoolTarget(input: PoolChoiceInput): 'local' | PoolCandidate | undefined {
  const { local, peers } = input;
  if (input.mode === 'off') return local === undefined ? undefined : 'local';
  if (input.mode === 'balance' && input.affinity !== undefined && peers.length > 0) {
    // Among the nodes serving the model: this one only when it does.
    const id = owner(input.affinity, [...(local === undefined ? [] : [input.selfId]), ...peers.map((peer) => peer.nodeId)]);
    const peer = peers.find((candidate) => candidate.nodeId === id);
    // The owner keeps its conversations unless it is as busy as makes this node pass a request
    // on (every slot busy and a queue): a slot freeing soon costs less than re-evaluating the
    // conversation elsewhere, and a peer's free-slot count is up to a second old.
    if (peer !== undefined && !saturated(peer.model.slotsFree === 0, peer.model.queueDepth)) return peer;
  }
  if (local === undefined) return bestPeer(peers, false);
  const busy = saturated(local.slotsInUse >= local.slots, local.queueDepth);
  if (busy) return bestPeer(peers, true) ?? 'local';
  return 'local';
}

/** The key of a chat conversation for `balance`: its messages up to the first user message (what every turn starts with). */
export function conversationKey(messages: readonly { readonly role: string; readonly content?: unknown }[]): string | undefined {
  const firstUser = messages.findIndex((message) => message.role === 'user');
  if (firstUser < 0) return undefined;
  return createHash('sha256').update(JSON.stringify(messages.slice(0, firstUser + 1))).digest('hex');
}
