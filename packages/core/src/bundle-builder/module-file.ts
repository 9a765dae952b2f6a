/**
 * Reading the head of a module and copying it into a bundle, hashed and size-capped.
 *
 * @module bundle-builder/module-file
 */
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { err, ErrorCode } from '../errors.js';

const O_NOFOLLOW = fsc.O_NOFOLLOW ?? 0;

/** The first `n` bytes of a stream (fewer if it is shorter); the stream is destroyed. */
export async function readHead(source: Readable, n = 8): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const c of source as AsyncIterable<Buffer>) {
    chunks.push(c);
    got += c.length;
    if (got >= n) break;
  }
  source.destroy();
  return Buffer.concat(chunks).subarray(0, n);
}

/**
 * Copy `source` to a new file `dest` (O_EXCL, O_NOFOLLOW, mode 0600), hashing it.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` past `maxSize` bytes (the partial file is left for the
 *   caller's cleanup of its temporary directory).
 */
export async function copyModule(source: Readable, dest: string, maxSize: number, what: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  // Written by hand: a FileHandle's write stream with autoClose: false keeps a reference that makes a
  // later sync()/close() wait forever (Node 20).
  const fh = await open(dest, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | O_NOFOLLOW, 0o600);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxSize) {
        throw err(ErrorCode.LimitExceeded, `${what} is larger than the module limit of ${maxSize} bytes`, { limit: 'maxWasmModuleSize', max: maxSize });
      }
      hash.update(chunk);
      for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
