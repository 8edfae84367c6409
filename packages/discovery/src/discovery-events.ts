import type { NodeIdConflict, Peer, PeerDownReason } from './peer-table.js';

/** Events of {@link Discovery}, as `EventEmitter` listener argument lists. */
export interface DiscoveryEvents {
  /** A node id was seen for the first time (or again after it went down). */
  'peer-up': [peer: Peer];
  /** A live peer changed its addresses, port, name or TXT pairs. */
  'peer-updated': [peer: Peer, previous: Peer];
  /** A peer went away; see {@link PeerDownReason}. */
  'peer-down': [peer: Peer, reason: PeerDownReason];
  /** Two live instances claim one node id (possibly ours); they are not merged. */
  'conflict': [conflict: NodeIdConflict];
  /** A transient socket problem (send failed, interface gone). Discovery keeps running. */
  'warning': [error: Error];
}

/** Counters since construction. Packets that could not be used are counted, never thrown. */
export interface DiscoveryStats {
  /** Datagrams this node sent (queries, responses, announcements, goodbyes). */
  readonly packetsSent: number;
  /** Sends that failed (network unreachable, interface down). */
  readonly sendErrors: number;
  /** Decoded queries received. */
  readonly queriesReceived: number;
  /** Decoded responses received. */
  readonly responsesReceived: number;
  /** Queries that got an answer from us. */
  readonly queriesAnswered: number;
  /** Queries not answered because they listed our record as a known answer (RFC 6762 §7.1). */
  readonly answersSuppressed: number;
  /** One-shot (legacy unicast) queries left unanswered because of the per-second reply cap. */
  readonly unicastRepliesDropped: number;
  /** Our own queries and announcements looped back to us. */
  readonly ownPacketsIgnored: number;
  /** Datagrams that are not DNS messages at all. */
  readonly malformedPackets: number;
  /** Trosyn records that decode but are invalid (bad SRV, TXT, id, name or version). */
  readonly invalidRecords: number;
  /** Announcements refused because `maxPeers` instances are tracked. */
  readonly peersRefused: number;
  /** `conflict` events emitted. */
  readonly conflicts: number;
}
