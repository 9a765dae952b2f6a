import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, isRetryableNetworkError, isRetryableStatus, parseRetryAfter } from './retry.js';

describe('retry policy', () => {
  it('retries 408, 429 and 5xx except 501/505; not 4xx', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 401, 403, 404, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it('retries resets and timeouts (also as a cause), not TLS verification failures', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableNetworkError(new Error('fetch failed', { cause: Object.assign(new Error('y'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('z'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }))).toBe(false);
    expect(isRetryableNetworkError(new Error('plain'))).toBe(false);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(['2'])).toBe(2000);
    const now = Date.parse('Sun, 29 Nov 2026 10:00:00 GMT');
    expect(parseRetryAfter('Sun, 29 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped; Retry-After wins but is capped too', () => {
    const o = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, o, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(3, o, undefined, () => 0.999)).toBe(399);
    expect(backoffDelay(10, o, undefined, () => 0.999)).toBe(999);
    expect(backoffDelay(2, o, undefined, () => 0)).toBe(0);
    expect(backoffDelay(1, o, 500)).toBe(500);
    expect(backoffDelay(1, o, 60_000)).toBe(1000);
  });
});
