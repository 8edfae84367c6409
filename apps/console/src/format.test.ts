import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRelative } from './format.js';

describe('formatDuration', () => {
  it('picks the unit by size', () => {
    expect(formatDuration(3.84)).toBe('3.8 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(3 * 3600 + 12 * 60)).toBe('3 h 12 min');
    expect(formatDuration(50 * 3600)).toBe('2 d 2 h');
    expect(formatDuration(-1)).toBe('—');
  });
});

describe('formatBytes', () => {
  it('uses decimal units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_185_536)).toBe('1.19 MB');
    expect(formatBytes(13_400_000_000)).toBe('13.4 GB');
  });
});

describe('formatRelative', () => {
  it('says ago or in, and never for no time', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(formatRelative('2026-12-04T11:59:55Z', now)).toBe('5 s ago');
    expect(formatRelative('2026-12-04T12:03:00Z', now)).toBe('in 3 min 00 s');
    expect(formatRelative(null, now)).toBe('never');
  });
});

describe('formatCount', () => {
  it('abbreviates parameter counts', () => {
    expect(formatCount(292_800)).toBe('292.8 k');
    expect(formatCount(2_610_000_000)).toBe('2.61 B');
    expect(formatCount(null)).toBe('—');
  });
});
