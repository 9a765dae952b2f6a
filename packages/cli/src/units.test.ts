import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseSize } from './units.js';

const MiB = 1024 * 1024;

describe('parseSize (docker RAMInBytes)', () => {
  it.each([
    ['64m', 64 * MiB],
    ['64M', 64 * MiB],
    ['64mb', 64 * MiB],
    ['64MB', 64 * MiB],
    ['64MiB', 64 * MiB],
    ['64mib', 64 * MiB],
    ['512MiB', 512 * MiB],
    ['1g', 1024 * MiB],
    ['1G', 1024 * MiB],
    ['1GiB', 1024 * MiB],
    ['4k', 4096],
    ['4kb', 4096],
    ['4KiB', 4096],
    ['1.5g', 1.5 * 1024 * MiB],
    ['64 m', 64 * MiB],
    ['1t', 1024 ** 4],
    ['1p', 1024 ** 5],
    ['4096', 4096],
    ['4096b', 4096],
    ['4096B', 4096],
    ['7000000m', 7_000_000 * MiB],
    ['1.9b', 1],
  ])('%s = %d bytes', (value, bytes) => {
    expect(parseSize('--memory', value)).toBe(bytes);
  });

  it('names the ceiling for sizes of 2^53 bytes or more', () => {
    expect(() => parseSize('--memory', '8p')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('at most 9007199254740991 bytes') }));
  });

  it.each(['', 'm', '64x', '64 mb b', '1e9', '-5', '0', '0m', '0.4', '64mbb', '64bi', '64i', ' 64', '1.2.3m', '0x40', '64e', '1z', '9007199254740993', '99999999p'])(
    'refuses %j with INVALID_ARGUMENT naming the flag',
    (value) => {
      expect(() => parseSize('--memory', value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('--memory') }));
    },
  );
});

describe('parseDurationMs (bare seconds, else Go durations)', () => {
  it.each([
    ['5', 5000],
    ['0.5', 500],
    ['90', 90_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['500ms', 500],
    ['300ms', 300],
    ['1s500ms', 1500],
    ['.5s', 500],
    ['2500us', 3],
    ['2500µs', 3],
    ['1500000ns', 2],
    ['30s', 30_000],
    ['100ns', 1],
    ['1us', 1],
    ['596h', 2_145_600_000],
  ])('%s = %d ms', (value, ms) => {
    expect(parseDurationMs('--timeout', value)).toBe(ms);
  });

  it.each(['', 's', '5x', '5 s', '1m 30s', '-5s', '-5', '0', '0s', '1d', '1 hour', 'soon', '1e3', '30S', '25d', 'Infinity', '597h', '0.0'])(
    'refuses %j with INVALID_ARGUMENT naming the flag',
    (value) => {
      expect(() => parseDurationMs('--timeout', value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('--timeout') }));
    },
  );
});
