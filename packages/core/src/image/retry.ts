/**
 * Retries with exponential backoff and full jitter (AWS architecture blog "Exponential Backoff and
 * Jitter"; containerd and skopeo retry registry requests the same way) for idempotent registry
 * requests: 5xx answers, 429 (honouring `Retry-After`), and connection-level failures (reset,
 * refused, timeouts).
 *
 * @module image/retry
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** How a request is retried. */
export interface RetryOptions {
  /**
   * Attempts in all (1 = no retry).
   * @default 4
   */
  attempts?: number;
  /** First backoff, in ms; doubled each retry. @default 200 */
  baseDelayMs?: number;
  /** Longest backoff and longest `Retry-After` honoured, in ms. @default 10 000 */
  maxDelayMs?: number;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 4, baseDelayMs: 200, maxDelayMs: 10_000 };

/** Statuses worth retrying: 408, 429 and 5xx except 501 (Not Implemented) and 505. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Connection-level error codes worth retrying (Node sockets and undici). */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** True for a transient network failure (by its `code`, or its cause's). TLS verification errors are not. */
export function isRetryableNetworkError(e: unknown): boolean {
  for (let x: unknown = e, i = 0; x && i < 4; x = (x as { cause?: unknown }).cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
  }
  return false;
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, in ms from `now`; undefined when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * The wait before retry number `retry` (1-based): `Retry-After` when given (capped at `maxDelayMs`),
 * else a uniformly random delay in [0, min(maxDelayMs, baseDelayMs·2^(retry-1))] ("full jitter").
 */
export function backoffDelay(retry: number, o: Required<RetryOptions>, retryAfterMs?: number, random = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, o.maxDelayMs);
  const cap = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/** Wait `ms`, or reject with the signal's reason when it aborts first. */
export async function waitBeforeRetry(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : {}).catch((e: unknown) => {
    throw signal?.aborted ? signal.reason : e;
  });
}
