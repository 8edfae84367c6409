import { describe, expect, it } from 'vitest';
import { createSessionStore } from '../src/index.js';
import { expectCode, manualClock, sessionPair, wire } from './helpers.js';

describe('SessionStore', () => {
  it('finds the session of an incoming envelope and opens it', async () => {
    const store = createSessionStore();
    const one = await sessionPair();
    const two = await sessionPair();
    store.add(one.responder);
    store.add(two.responder);
    const { session, message } = store.open(wire(two.initiator.seal('for two')));
    expect(session).toBe(two.responder);
    expect(message.plaintext.toString()).toBe('for two');
    expect(store.get(one.responder.id)).toBe(one.responder);
  });

  it('reports an unknown session, and drops expired ones', async () => {
    const clock = manualClock();
    const store = createSessionStore();
    const pair = await sessionPair({ clock, responder: { sessionTtlMs: 1_000 } });
    expectCode(() => store.open(wire(pair.initiator.seal('nobody home'))), 'unknown-session');
    store.add(pair.responder);
    clock.advance(1_000);
    expect(store.get(pair.responder.id)).toBeUndefined();
    expect(store.size).toBe(0);
    expect(pair.responder.disposed).toBe(true);
    expectCode(() => store.open({ type: 'trosyn-envelope', version: 1, sessionId: 'bad' }), 'malformed');
  });

  it('stays within maxSessions, evicting the least recently used', async () => {
    const store = createSessionStore({ maxSessions: 2 });
    const [a, b, c] = [await sessionPair(), await sessionPair(), await sessionPair()];
    store.add(a.responder);
    store.add(b.responder);
    store.get(a.responder.id); // a is now more recent than b
    store.add(c.responder);
    expect(store.size).toBe(2);
    expect(store.get(b.responder.id)).toBeUndefined();
    expect(b.responder.disposed).toBe(true);
    expect(store.get(a.responder.id)).toBe(a.responder);
    expect(store.delete(a.responder.id)).toBe(true);
    expect(a.responder.disposed).toBe(true);
    store.dispose();
    expect(c.responder.disposed).toBe(true);
    expectCode(() => store.get(c.responder.id), 'disposed');
  });
});
