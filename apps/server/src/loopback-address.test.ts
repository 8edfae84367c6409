import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from './loopback-address.js';

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.4.5.6', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('accepts %s', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['10.0.0.1', '192.168.1.20', '::ffff:10.0.0.1', 'fe80::1', '::', '0.0.0.0', 'localhost', ''])('refuses %s', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});
