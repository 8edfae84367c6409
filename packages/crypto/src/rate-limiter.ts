import { systemClock, type Clock } from './clock.js';
import { CryptoError } from './errors.js';
import { positiveInteger } from './handshake-config.js';

/** Default bound on keys tracked by a {@link RateLimiter}. */
export const DEFAULT_RATE_LIMITER_MAX_KEYS = 10_000;

/** Configuration of {@link createRateLimiter}. */
export interface RateLimiterConfig {
  /** Bucket size: the largest burst allowed after a quiet period. */
  readonly capacity: number;
  /** Tokens added back per second. */
  readonly refillPerSecond: number;
  /**
   * At most this many keys are tracked. Idle keys (whose bucket has refilled completely, so
   * forgetting them changes nothing) are dropped as they reach the least-recently-used end; when
   * the map is still full, the least recently used key is evicted, which gives that key a fresh
   * bucket. Default 10 000 (a few hundred KiB).
   */
  readonly maxKeys?: number;
  /** Injected clock. Default `Date.now`. */
  readonly clock?: Clock;
}

/** The answer of {@link RateLimiter.take}. */
export interface RateLimitDecision {
  /** Whether the tokens were taken. */
  readonly allowed: boolean;
  /** Whole tokens left in the bucket afterwards. */
  readonly remaining: number;
  /** When refused: milliseconds until enough tokens are back (for a Retry-After). 0 when allowed. */
  readonly retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by peer or address, with bounded memory: for handshakes and failed
 * authentications on the server. Refusal is a value, not an exception.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ capacity: 10, refillPerSecond: 1 });
 * const decision = limiter.take(remoteAddress);
 * if (!decision.allowed) return tooManyRequests(decision.retryAfterMs);
 * ```
 */
export class RateLimiter {
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly #maxKeys: number;
  readonly #clock: Clock;
  /** Map order is least recently used first. */
  readonly #buckets = new Map<string, Bucket>();

  /** @internal Use {@link createRateLimiter}. */
  constructor(config: RateLimiterConfig) {
    if (!Number.isFinite(config.capacity) || config.capacity < 1) throw new CryptoError('invalid-config', `capacity must be at least 1, got ${String(config.capacity)}.`);
    if (!Number.isFinite(config.refillPerSecond) || config.refillPerSecond <= 0) {
      throw new CryptoError('invalid-config', `refillPerSecond must be positive, got ${String(config.refillPerSecond)}.`);
    }
    this.capacity = config.capacity;
    this.refillPerSecond = config.refillPerSecond;
    this.#maxKeys = positiveInteger('maxKeys', config.maxKeys ?? DEFAULT_RATE_LIMITER_MAX_KEYS);
    this.#clock = config.clock ?? systemClock;
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket if it has them.
   * @throws {@link CryptoError} `invalid-argument` for a cost that is not positive or exceeds the capacity.
   */
  take(key: string, cost = 1): RateLimitDecision {
    if (!Number.isFinite(cost) || cost <= 0 || cost > this.capacity) {
      throw new CryptoError('invalid-argument', `cost must be positive and at most the capacity (${this.capacity}), got ${String(cost)}.`);
    }
    const now = this.#clock();
    this.#evictIdleHead(now, 2);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#makeRoom();
      bucket = { tokens: this.capacity, updatedAt: now };
    } else {
      this.#refill(bucket, now);
      this.#buckets.delete(key);
    }
    this.#buckets.set(key, bucket); // most recently used
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
    }
    const retryAfterMs = Math.ceil(((cost - bucket.tokens) / this.refillPerSecond) * 1000);
    return { allowed: false, remaining: Math.floor(bucket.tokens), retryAfterMs };
  }

  /** Whole tokens `key` has now, without taking any. */
  available(key: string): number {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return Math.floor(this.capacity);
    this.#refill(bucket, this.#clock());
    return Math.floor(bucket.tokens);
  }

  /** Forgets `key` (its next request gets a full bucket), e.g. after a successful authentication. */
  reset(key: string): void {
    this.#buckets.delete(key);
  }

  /** Forgets every key whose bucket has refilled completely; returns how many. */
  prune(): number {
    const now = this.#clock();
    let removed = 0;
    for (const [key, bucket] of this.#buckets) {
      if (this.#isIdle(bucket, now)) {
        this.#buckets.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  #refill(bucket: Bucket, now: number): void {
    // A clock that steps backwards refills nothing rather than draining the bucket.
    const elapsedMs = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (elapsedMs * this.refillPerSecond) / 1000);
    bucket.updatedAt = Math.max(bucket.updatedAt, now);
  }

  #isIdle(bucket: Bucket, now: number): boolean {
    return bucket.tokens + (Math.max(0, now - bucket.updatedAt) * this.refillPerSecond) / 1000 >= this.capacity;
  }

  /** Amortised cleanup: look at the least recently used keys only. */
  #evictIdleHead(now: number, limit: number): void {
    let seen = 0;
    for (const [key, bucket] of this.#buckets) {
      if (seen >= limit || !this.#isIdle(bucket, now)) return;
      this.#buckets.delete(key);
      seen += 1;
    }
  }

  /**
   * Full: idle keys at the head are already gone (#evictIdleHead), so drop the least recently used
   * key. O(1) on purpose: a scan here would let a flood of new addresses cost O(keys) each.
   */
  #makeRoom(): void {
    const oldest = this.#buckets.keys().next();
    if (oldest.done !== true) this.#buckets.delete(oldest.value);
  }
}

/** Creates a {@link RateLimiter}. */
export function createRateLimiter(config: RateLimiterConfig): RateLimiter {
  return new RateLimiter(config);
}
