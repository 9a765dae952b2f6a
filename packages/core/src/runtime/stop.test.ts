import { describe, expect, it } from 'vitest';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { Signal } from './signal.js';
import { stopWithGrace, type StopSteps } from './stop.js';
import type { ExitStatus, WaitOptions } from './types.js';

/** A workload that ends on the signals in `endsOn` (logic test of the algorithm; backends run it for real in the conformance suite). */
function workload(endsOn: Signal[]): StopSteps & { sent: Signal[] } {
  const sent: Signal[] = [];
  let end: ((s: ExitStatus) => void) | undefined;
  const ended = new Promise<ExitStatus>((resolve) => (end = resolve));
  return {
    sent,
    async kill(signal) {
      sent.push(signal);
      if (endsOn.includes(signal)) end?.({ code: 128 + (signal === 'SIGKILL' ? 9 : 15), reason: signal === 'SIGKILL' ? 'killed' : 'signaled', signal });
    },
    wait(options?: WaitOptions) {
      return new Promise((resolve, reject) => {
        const s = options?.signal;
        if (s?.aborted) return reject(err(ErrorCode.Aborted, 'wait aborted'));
        s?.addEventListener('abort', () => reject(err(ErrorCode.Aborted, 'wait aborted')), { once: true });
        void ended.then(resolve);
      });
    },
  };
}

describe('stopWithGrace', () => {
  it('signal, then SIGKILL after the grace period', async () => {
    const w = workload(['SIGKILL']);
    expect(await stopWithGrace(w, { signal: 'SIGTERM', timeoutMs: 20, what: 'stop "x"' })).toMatchObject({ reason: 'killed' });
    expect(w.sent).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('no SIGKILL when the workload ends in the grace period', async () => {
    const w = workload(['SIGTERM', 'SIGKILL']);
    expect(await stopWithGrace(w, { signal: 'SIGTERM', timeoutMs: 10_000, what: 'stop "x"' })).toMatchObject({ reason: 'signaled' });
    expect(w.sent).toEqual(['SIGTERM']);
  });

  it('aborted before the call: ABORTED, nothing sent', async () => {
    const w = workload(['SIGTERM']);
    const e = await stopWithGrace(w, { signal: 'SIGTERM', timeoutMs: 10, what: 'stop "x"', abortSignal: AbortSignal.abort() }).catch((x: unknown) => x);
    expect(isMagikrunError(e, 'ABORTED')).toBe(true);
    expect((e as Error).message).toBe('stop "x" was aborted');
    expect(w.sent).toEqual([]);
  });

  it('aborted while the stop signal is being sent: ABORTED at once, not after the grace period', async () => {
    const w = workload(['SIGKILL']);
    const ac = new AbortController();
    const kill = w.kill.bind(w);
    w.kill = async (signal) => {
      await kill(signal);
      ac.abort(); // arrives before kill resolves
    };
    // A grace period far past the test's time-out: waiting it out fails the test.
    await expect(stopWithGrace(w, { signal: 'SIGTERM', timeoutMs: 600_000, what: 'stop "x"', abortSignal: ac.signal })).rejects.toSatisfy((e) => isMagikrunError(e, 'ABORTED'));
    expect(w.sent).toEqual(['SIGTERM']);
  });

  it('aborted in the grace period: ABORTED at once, and no SIGKILL follows', async () => {
    const w = workload(['SIGKILL']);
    const ac = new AbortController();
    const stopping = stopWithGrace(w, { signal: 'SIGTERM', timeoutMs: 10_000, what: 'stop "x"', abortSignal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(stopping).rejects.toSatisfy((e) => isMagikrunError(e, 'ABORTED'));
    await new Promise((r) => setTimeout(r, 50));
    expect(w.sent).toEqual(['SIGTERM']);
  });
});
