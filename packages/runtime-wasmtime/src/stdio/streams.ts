/**
 * Node streams over the binding's bounded pipes: a `Readable` for stdout/stderr and a `Writable`
 * for stdin. Each keeps at most one chunk in flight, so memory stays bounded and a module whose
 * output is not read blocks (and stays killable).
 *
 * @module stdio/streams
 */
import { Readable, Writable } from 'node:stream';
import { fromBindingError } from '../binding/errors.js';
import type { BindingEngine } from '../binding/types.js';

/** Frees the pipe of a Readable that was dropped without being read to its end. */
const unreadPipes = new FinalizationRegistry<{ engine: BindingEngine; handle: number; stream: 'stdout' | 'stderr' }>(({ engine, handle, stream }) =>
  engine.releasePipe(handle, stream),
);

/**
 * A Readable of a container's stdout or stderr pipe; ends when the module has ended and every byte it
 * wrote has been read — also after `delete`, so that output is never cut short by a delete that comes
 * before the reader has caught up. The pipe (at most 64 KiB) is freed at its end, when the Readable is
 * destroyed, or when it is garbage-collected. Reading starts once `gate` resolves (the container started
 * or stopped), so that a pending read of a container that never runs does not keep the event loop alive.
 */
export function pipeReadable(engine: BindingEngine, handle: number, stream: 'stdout' | 'stderr', gate: Promise<void>): Readable {
  const readable = new Readable({
    read() {
      gate.then(() => engine.read(handle, stream)).then(
        (chunk) => this.push(chunk),
        (e: unknown) => this.destroy(fromBindingError(e, `reading ${stream}`)),
      );
    },
    destroy(error, cb) {
      engine.releasePipe(handle, stream);
      cb(error);
    },
  });
  unreadPipes.register(readable, { engine, handle, stream });
  return readable;
}

/**
 * A Writable into a container's stdin pipe. Writes wait for room; once the module has ended, further
 * writes are discarded (as with a closed pipe, without raising EPIPE). `end()` closes the module's stdin.
 */
export function stdinWritable(engine: BindingEngine, handle: number): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      engine.writeStdin(handle, chunk).then(
        () => cb(),
        (e: unknown) => cb(fromBindingError(e, 'writing stdin')),
      );
    },
    final(cb) {
      engine.closeStdin(handle).then(
        () => cb(),
        (e: unknown) => cb(fromBindingError(e, 'closing stdin')),
      );
    },
  });
}

/** Copy a pipe into `target`, honouring its backpressure; resolves at end of stream. Never ends `target`. */
export async function pumpToWritable(engine: BindingEngine, handle: number, stream: 'stdout' | 'stderr', target: Writable): Promise<void> {
  for (;;) {
    const chunk = await engine.read(handle, stream);
    if (chunk === null) return;
    if (target.destroyed) continue; // keep draining so the module is not blocked by a dead target
    if (!target.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          target.off('drain', done);
          target.off('close', done);
          target.off('error', done);
          resolve();
        };
        target.on('drain', done);
        target.on('close', done);
        target.on('error', done);
      });
    }
  }
}

/**
 * Copy `source` into the stdin pipe, then close it. Stops once the module can no longer read (a
 * write is refused) or `ended` resolves (the module ended; the container was deleted): then it stops
 * listening to `source` and pauses it, without destroying it — a source that never ends (a terminal,
 * a producer that keeps its pipe open) must not keep this process alive after the container is gone,
 * as `docker run -i` returns when the container exits. What `source` yields after that stays unread.
 * Node keeps a paused pipe or socket reading until its buffer reaches the high-water mark, so a source
 * that stays open but quiet can still hold the event loop: its owner closes it (the CLI destroys its
 * stdin once the workload has ended).
 */
export async function pumpFromReadable(engine: BindingEngine, handle: number, source: Readable, ended: Promise<unknown>): Promise<void> {
  try {
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        source.off('data', onData);
        source.off('end', finishAfterWrite);
        source.off('error', finishAfterWrite);
        source.off('close', finishAfterWrite);
        source.pause();
        resolve();
      };
      let inFlight: Promise<unknown> = Promise.resolve();
      const onData = (chunk: Buffer | string): void => {
        source.pause(); // one chunk in flight: the pipe's backpressure reaches the source
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        inFlight = engine.writeStdin(handle, buf).then(
          (accepted) => {
            if (!accepted) finish();
            else if (!done) source.resume();
          },
          finish,
        );
      };
      // The source can end while its last chunk is still being written: close stdin after that write.
      const finishAfterWrite = (): void => {
        void inFlight.then(finish);
      };
      source.on('data', onData);
      source.once('end', finishAfterWrite);
      source.once('error', finishAfterWrite);
      source.once('close', finishAfterWrite);
      ended.then(finish, finish);
    });
  } finally {
    await engine.closeStdin(handle);
  }
}
