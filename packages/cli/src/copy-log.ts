/**
 * Copying a container's log file to our stdout or stderr in bounded chunks, honouring the writer's
 * backpressure, optionally following it as `tail -f` does until the container has stopped. A log is
 * never held whole in memory.
 *
 * @module copy-log
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';

/** Bytes read per step: 64 KiB. */
export const LOG_CHUNK_BYTES = 64 * 1024;
/** How often a followed log is polled for new bytes, in ms. */
export const FOLLOW_POLL_MS = 100;

/** Options of {@link copyLog}. */
export interface CopyLogOptions {
  /**
   * Follow: after the end of the file, keep polling until `done()` is true, then copy what was written
   * before that moment and return. Without it, copy to the end once.
   */
  follow?: { done: () => Promise<boolean> };
  /** Stop early (Ctrl-C). */
  signal?: AbortSignal;
}

async function write(out: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Copy the file at `path` to `out`.
 *
 * @returns the number of bytes copied.
 * @throws the file's open error (ENOENT when the log is gone) or a write error on `out`.
 */
export async function copyLog(path: string, out: NodeJS.WritableStream, options: CopyLogOptions = {}): Promise<number> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(LOG_CHUNK_BYTES);
  let position = 0;
  const drain = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      // A copy: `buf` is reused for the next read while the stream may still hold this chunk.
      await write(out, Buffer.from(buf.subarray(0, bytesRead)));
    }
  };
  try {
    await drain();
    if (options.follow) {
      while (!options.signal?.aborted) {
        // Check first, then copy: whatever the container wrote before it stopped is in the file.
        const finished = await options.follow.done();
        await drain();
        if (finished) break;
        await sleep(FOLLOW_POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
      }
    }
    return position;
  } finally {
    await fh.close();
  }
}
