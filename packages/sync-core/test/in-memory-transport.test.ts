import { createInMemoryTransport, runSyncTransportTests } from '../src/testing.js';

await runSyncTransportTests({
  name: 'in-memory',
  connect: (responder, requesterId) => ({ transport: createInMemoryTransport(responder, requesterId) }),
});
