import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WholeFileHash } from './whole-file-hash.js';

describe('WholeFileHash (sha256 on a thread of its own)', () => {
  it('hashes the pieces handed over, in order, as one sha256', async () => {
    const whole = new WholeFileHash();
    const expected = createHash('sha256');
    for (let batch = 0; batch < 20; batch += 1) {
      const pieces = [randomBytes(65_536), randomBytes(1000), randomBytes(70_000).subarray(3)];
      for (const piece of pieces) expected.update(piece);
      await whole.update(pieces);
    }
    expect(await whole.digest()).toBe(expected.digest('hex'));
  });

  it('moves pieces that own their memory, and copies views into shared memory (a pooled buffer stays usable)', async () => {
    const whole = new WholeFileHash();
    const owned = Buffer.from(new Uint8Array(100_000).fill(1).buffer);
    const pooled = Buffer.from('a short string lives in the shared buffer pool');
    const shared = Buffer.alloc(300_000, 2);
    const [left, right] = [shared.subarray(0, 100_000), shared.subarray(100_000)];
    const expected = createHash('sha256').update(owned).update(pooled).update(left).update(right).digest('hex');
    await whole.update([owned, pooled, left, right]);
    expect(owned.length).toBe(0); // moved to the thread: detached here
    expect(pooled.toString()).toBe('a short string lives in the shared buffer pool');
    expect(Buffer.allocUnsafe(10).buffer.byteLength).toBeGreaterThan(0); // the pool was not taken
    expect(shared.length).toBe(300_000); // views into a larger buffer were copied, not moved
    expect(await whole.digest()).toBe(expected);
  });

  it('refuses more work once closed', async () => {
    const whole = new WholeFileHash();
    whole.close();
    await expect(whole.update([Buffer.alloc(10)])).rejects.toThrow(/closed/);
    await expect(whole.digest()).rejects.toThrow(/closed/);
  });
});
