import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { LanSyncError } from '../sync/errors.js';
import { forwardingFailure, PeerEngineError } from './peer-engine.js';

describe('forwardingFailure (what the client gets when a forwarded request fails)', () => {
  it('names the peer and its handshake limit when the one shared session is refused (429)', () => {
    const refused = new LanSyncError('handshake-refused', 'http://10.0.0.2:5000 refused the handshake: 429 rate-limited', { status: 429, remoteCode: 'rate-limited' });
    const failure = forwardingFailure(refused, undefined, 'node-1') as PeerEngineError;
    expect(failure).toBeInstanceOf(PeerEngineError);
    expect(failure.code).toBe('upstream-unavailable');
    expect(failure.message).toContain('Peer node-1 refused a sealed session for this request: too many handshakes from this node');
    expect(failure.message).toContain('20 handshakes, then 1 per second');
    expect(failure.cause).toBe(refused);
  });

  it('keeps the peer\'s own errors, reports an abort as aborted, and anything else as the peer unreachable', () => {
    const own = new ApiError('model-not-found', "The model 'x' does not exist.", { param: 'model' });
    expect(forwardingFailure(own, undefined, 'node-1')).toBe(own);
    expect((forwardingFailure(new Error('socket hang up'), AbortSignal.abort(), 'node-1') as PeerEngineError).code).toBe('aborted');
    const cut = forwardingFailure(new LanSyncError('unreachable', 'connect ECONNREFUSED'), undefined, 'node-1') as PeerEngineError;
    expect(cut.code).toBe('upstream-unavailable');
    expect(cut.message).toBe('Peer node-1 could not serve the request: connect ECONNREFUSED');
  });
});
