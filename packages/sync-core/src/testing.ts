/**
 * `@trosyn/sync-core/testing`: an in-memory transport, and the contract suites every
 * {@link SyncTransport} and every {@link SyncStore} adapter must pass.
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
export { runSyncStoreTests, type SyncStoreTestSetup } from './testing/store-contract.js';
export { startTestPostgres, type TestPostgres } from './testing/postgres-cluster.js';
