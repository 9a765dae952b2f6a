/**
 * Reading a container's `'log'` files (`stdout.log`, `stderr.log` in its state directory) as
 * streams, optionally following them until the container stops — what `magikrun logs [-f]` needs.
 * Read in 64 KiB chunks; nothing is held whole in memory.
 *
 * @module logs/follow
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK = 64 * 1024;
/** How often a followed log is polled for more output, in ms. */
export const FOLLOW_POLL_MS = 100;

/**
 * A Readable of `file` from its start. With `follow`, it waits at end-of-file until `stopped()`
 * says the container has ended, then drains what is left and ends. A file that is gone (the container
 * was deleted) ends the stream.
 */
export function logStream(file: string, follow: boolean, stopped: () => boolean, signal?: AbortSignal): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch {
      return;
    }
    try {
      let position = 0;
      for (;;) {
        if (signal?.aborted) return;
        const buf = Buffer.allocUnsafe(CHUNK);
        const { bytesRead } = await fh.read(buf, 0, CHUNK, position);
        if (bytesRead > 0) {
          position += bytesRead;
          yield buf.subarray(0, bytesRead);
          continue;
        }
        if (!follow) return;
        const ended = stopped();
        if (ended) {
          // One more read: output written just before the exit.
          const { bytesRead: last } = await fh.read(buf, 0, CHUNK, position);
          if (last > 0) {
            position += last;
            yield buf.subarray(0, last);
            continue;
          }
          return;
        }
        try {
          await sleep(FOLLOW_POLL_MS, undefined, signal ? { signal } : undefined);
        } catch {
          return; // aborted
        }
      }
    } finally {
      await fh.close();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
