import { describe, expect, it } from 'vitest';
import { SyncError } from './errors.js';
import { encodeHlc } from './hlc.js';
import { futureTimestampPolicy, scanPageTimestamps } from './future-timestamps.js';

const at = (wallMicros: number, nodeId = 'n'): string => encodeHlc({ wallMicros, counter: 0, nodeId });

describe('scanPageTimestamps', () => {
  it("sorts each change's timestamp and version vector against the limit", () => {
    const changes: { hlc: string; vector: Record<string, string> }[] = [
      { hlc: at(100), vector: { n: at(100) } },
      { hlc: at(150), vector: { n: at(150), m: at(900, 'm') } },
      { hlc: at(800), vector: { n: at(800) } },
    ];
    expect(scanPageTimestamps(changes, 500)).toEqual({ adoptable: at(150), firstBeyond: at(900, 'm'), changesBeyond: 2 });
    expect(scanPageTimestamps(changes, 1000)).toEqual({ adoptable: at(900, 'm'), firstBeyond: undefined, changesBeyond: 0 });
    expect(scanPageTimestamps([], 1000)).toEqual({ adoptable: undefined, firstBeyond: undefined, changesBeyond: 0 });
  });
});

describe('futureTimestampPolicy', () => {
  it("defaults to 'reject' and refuses anything but the two policies", () => {
    expect(futureTimestampPolicy(undefined)).toBe('reject');
    expect(futureTimestampPolicy('accept')).toBe('accept');
    expect(() => futureTimestampPolicy('adopt')).toThrow(SyncError);
  });
});
