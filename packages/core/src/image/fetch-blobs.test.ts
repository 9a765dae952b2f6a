import { describe, expect, it } from 'vitest';
import { err, ErrorCode } from '../errors.js';
import { expectCode } from '../testing/expect-error.js';
import { checkConcurrency, DEFAULT_PULL_CONCURRENCY, isRetryableBlobError, OverallProgress } from './fetch-blobs.js';
import type { PullProgress } from './types.js';

describe('fetch-blobs helpers', () => {
  it('concurrency defaults to 3 and must be 1..16', async () => {
    expect(checkConcurrency(undefined)).toBe(DEFAULT_PULL_CONCURRENCY);
    expect(checkConcurrency(1)).toBe(1);
    expect(checkConcurrency(16)).toBe(16);
    for (const bad of [0, 17, 1.5, Number.NaN]) await expectCode(() => checkConcurrency(bad), ErrorCode.InvalidArgument);
  });

  it('retries 5xx, 408, 429, network failures and timeouts; not 404, 401, 501 or digest errors', () => {
    const registry = (status?: number) => err(ErrorCode.Registry, 'x', status === undefined ? { cause: 'ECONNRESET' } : { status });
    for (const s of [500, 502, 503, 504, 408, 429]) expect(isRetryableBlobError(registry(s))).toBe(true);
    expect(isRetryableBlobError(registry())).toBe(true);
    expect(isRetryableBlobError(err(ErrorCode.Timeout, 'x'))).toBe(true);
    for (const s of [501, 505, 206]) expect(isRetryableBlobError(registry(s))).toBe(false);
    expect(isRetryableBlobError(err(ErrorCode.NotFound, 'x', { status: 404 }))).toBe(false);
    expect(isRetryableBlobError(err(ErrorCode.Unauthorized, 'x', { status: 401 }))).toBe(false);
    expect(isRetryableBlobError(err(ErrorCode.DigestMismatch, 'x'))).toBe(false);
    expect(isRetryableBlobError(new Error('plain'))).toBe(false);
  });

  it('overall progress sums blobs once each, counts a blob\'s bytes once however often it is reported, and is cached only when all were', () => {
    const events: PullProgress[] = [];
    const a = { mediaType: 'x', digest: `sha256:${'a'.repeat(64)}`, size: 100 };
    const b = { mediaType: 'x', digest: `sha256:${'b'.repeat(64)}`, size: 50 };
    const o = new OverallProgress('sha256:img', [a, b, a], (p) => events.push(p));
    expect(o.total).toBe(150);
    o.update(a.digest, 40);
    o.update(a.digest, 100);
    o.update(b.digest, 50, true);
    o.finish();
    expect(events.map((e) => e.completed)).toEqual([40, 100, 150, 150]);
    expect(events.at(-1)).toMatchObject({ kind: 'overall', digest: 'sha256:img', total: 150, done: true, cached: false });
    const cached: PullProgress[] = [];
    const c = new OverallProgress('sha256:img', [b], (p) => cached.push(p));
    c.update(b.digest, 50, true);
    c.finish();
    expect(cached.at(-1)).toMatchObject({ cached: true, done: true, completed: 50 });
  });
});
