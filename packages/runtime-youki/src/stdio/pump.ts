/**
 * Copy a container's output into a caller's `Writable`, one chunk at a time: the next chunk is read
 * only once the previous one was accepted (backpressure), so nothing accumulates in memory.
 *
 * @module stdio/pump
 */
import type { Readable, Writable } from 'node:stream';

function write(target: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    target.write(chunk, (e) => (e ? reject(e) : resolve()));
  });
}

/** Resolves when `source` has ended and every chunk reached `target` (which is not ended). */
export async function pumpToWritable(source: Readable, target: Writable): Promise<void> {
  try {
    for await (const chunk of source) await write(target, chunk as Buffer);
  } catch {
    // A target that failed, or a source that was destroyed: the container's output stops here.
    source.destroy();
  }
}
