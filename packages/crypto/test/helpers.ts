import { expect } from 'vitest';
import {
  createInitiator,
  createResponder,
  CryptoError,
  deriveNetworkKey,
  MIN_PWHASH_MEM_LIMIT,
  MIN_PWHASH_OPS_LIMIT,
  type CryptoErrorCode,
  type InitiatorConfig,
  type NetworkKey,
  type ResponderConfig,
  type Session,
} from '../src/index.js';

/** Argon2id at its minimum cost: the handshake logic is what these tests exercise, not the KDF. */
export function testKey(secret = 'test network secret'): Promise<NetworkKey> {
  return deriveNetworkKey(secret, { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });
}

/** A clock the test moves by hand. */
export interface ManualClock {
  readonly now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

/** What crosses an HTTP body: a JSON round-trip, so nothing but plain data survives. */
export function wire<T>(message: T): unknown {
  return JSON.parse(JSON.stringify(message)) as unknown;
}

/** Asserts `action` throws a CryptoError with `code`, and returns it. */
export function expectCode(action: () => unknown, code: CryptoErrorCode): CryptoError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe(code);
    return error as CryptoError;
  }
  throw new Error(`expected CryptoError "${code}", nothing was thrown`);
}

export interface Pair {
  readonly initiator: Session;
  readonly responder: Session;
}

/** Runs the four messages through JSON between a fresh initiator and `responder`. */
export function handshake(initiatorConfig: InitiatorConfig, responder: ReturnType<typeof createResponder>): Pair {
  const initiator = createInitiator(initiatorConfig);
  const challenge = responder.handleHello(wire(initiator.hello()));
  const proof = initiator.handleChallenge(wire(challenge));
  const { confirm, session } = responder.handleProof(wire(proof));
  return { initiator: initiator.handleConfirm(wire(confirm)), responder: session };
}

/** A connected pair of sessions between node-a (initiator) and node-b (responder). */
export async function sessionPair(options: { clock?: ManualClock; initiator?: Partial<InitiatorConfig>; responder?: Partial<ResponderConfig> } = {}): Promise<Pair> {
  const networkKey = await testKey();
  const clock = options.clock ?? manualClock();
  const responder = createResponder({ networkKey, nodeId: 'node-b', clock: clock.now, ...options.responder });
  return handshake({ networkKey, nodeId: 'node-a', clock: clock.now, ...options.initiator }, responder);
}
