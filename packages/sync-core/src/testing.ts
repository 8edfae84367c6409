/**
 * `@trosyn/sync-core/testing`: an in-memory transport and the contract suite every
 * {@link SyncTransport} implementation must pass.
 * @packageDocumentation
 */
export {
  createInMemoryTransport,
  createInMemoryTransportPair,
  type InMemoryTransport,
  type InMemoryTransportOptions,
  type InMemoryNode,
  type TransportStats,
} from './testing/in-memory-transport.js';
export { runSyncTransportTests, type SyncTransportTestSetup, type ConnectedTransport } from './testing/transport-contract.js';
