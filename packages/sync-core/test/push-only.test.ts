import { describe, expect, it } from 'vitest';
import type { PeerLogPosition, SyncEngine, SyncRequest, SyncTransport } from '../src/index.js';
import { freshReplicasPerTest } from './helpers.js';

const fresh = freshReplicasPerTest();

const LIMITS = { maxChanges: 1_000, maxBytes: 1_048_576 };

/** `from`'s transport to `to`, recording the type of every request it sends. */
function recorded(from: SyncEngine, to: SyncEngine): { transport: SyncTransport; sent: SyncRequest['type'][] } {
  const inner = fresh.replicas.transport(from, to);
  const sent: SyncRequest['type'][] = [];
  return {
    sent,
    transport: {
      request: (message, options) => {
        sent.push(message.type);
        return inner.request(message, options);
      },
    },
  };
}

/** Two replicas in sync after one full round; `position` is b's position in a's log. */
async function syncedPair(): Promise<{ a: SyncEngine; b: SyncEngine; position: PeerLogPosition }> {
  const a = await fresh.replicas.open('a', { wallClockMicros: fresh.time.clock() });
  const b = await fresh.replicas.open('b', { wallClockMicros: fresh.time.clock() });
  await a.put({ id: 'first', type: 't', data: 1 });
  await fresh.replicas.sync(a, b);
  return { a, b, position: { yourCursor: { epoch: a.epoch, seq: a.changeFeedEnd.seq, resyncing: false }, limits: LIMITS } };
}

describe('SyncEngine.syncWith({ pushOnly })', () => {
  it('pushes what the peer lacks with one request and no pull', async () => {
    const { a, b, position } = await syncedPair();
    await a.put({ id: 'live', type: 't', data: 'pushed alone' });
    const { transport, sent } = recorded(a, b);
    const report = await a.syncWith(b.nodeId, transport, { pushOnly: position });
    expect(sent).toEqual(['push']);
    expect(report).toMatchObject({ ok: true, pulled: { pages: 0, changes: 0 }, pushed: { pages: 1, changes: 1, mode: 'delta' } });
    expect(await b.get('live')).toMatchObject({ data: 'pushed alone' });
    // b acknowledged: nothing is pending for it any more.
    expect((await a.peerStatus(b.nodeId))?.pendingChanges).toBe(0);
  });

  it('skips what the peer already has when the position is behind it', async () => {
    const { a, b } = await syncedPair();
    await a.put({ id: 'live', type: 't', data: 2 });
    const behind: PeerLogPosition = { yourCursor: { epoch: a.epoch, seq: 0, resyncing: false }, limits: LIMITS };
    const report = await a.syncWith(b.nodeId, fresh.replicas.transport(a, b), { pushOnly: behind });
    expect(report).toMatchObject({ ok: true, pushed: { changes: 2 } });
    expect((await b.history('first')).length).toBe(0); // the change b had was not applied twice
    expect(await b.get('live')).toMatchObject({ data: 2 });
  });

  it('is refused, with nothing applied, when the position is ahead of the peer', async () => {
    const { a, b } = await syncedPair();
    await a.put({ id: 'missed', type: 't', data: 'never reached b' });
    await a.put({ id: 'live', type: 't', data: 'pushed after it' });
    // Claims b has `missed` already: the page would leave a gap in b's copy of a's log.
    const ahead: PeerLogPosition = { yourCursor: { epoch: a.epoch, seq: a.changeFeedEnd.seq - 1, resyncing: false }, limits: LIMITS };
    const report = await a.syncWith(b.nodeId, fresh.replicas.transport(a, b), { pushOnly: ahead });
    expect(report).toMatchObject({ ok: false, error: { code: 'remote-error', message: expect.stringContaining('cursor-gap') } });
    expect([await b.get('missed'), await b.get('live')]).toEqual([undefined, undefined]);
    // A full round repairs it.
    expect((await fresh.replicas.sync(a, b)).ok).toBe(true);
    expect(await b.get('missed')).toMatchObject({ data: 'never reached b' });
  });

  it('refuses a malformed position before sending anything', async () => {
    const { a, b } = await syncedPair();
    const { transport, sent } = recorded(a, b);
    for (const bad of [{}, { yourCursor: { epoch: a.epoch, seq: -1, resyncing: false }, limits: LIMITS }, { yourCursor: { epoch: a.epoch, seq: 0, resyncing: false }, limits: { maxChanges: 0, maxBytes: 1 } }]) {
      await expect(a.syncWith(b.nodeId, transport, { pushOnly: bad as PeerLogPosition })).rejects.toMatchObject({ code: 'invalid-argument' });
    }
    expect(sent).toEqual([]);
  });
});
