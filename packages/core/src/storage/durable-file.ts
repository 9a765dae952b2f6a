/**
 * Durable writes: a file is on disk, contents and name, before anyone is told it exists. Used for the
 * JSON documents of bundles (config.json, wasi.json, microvm.json) and of the local image index.
 *
 * @module storage/durable-file
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** fsync a directory, so that a create, link or rename in it survives a crash. Not possible on Windows (a no-op there). */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Write `doc` as indented JSON (and a newline) to a new file `file` (mode 0600, refused if it exists),
 * and fsync it. The caller makes its name durable (a staged bundle directory is fsynced before its rename).
 *
 * @throws the `open` error `EEXIST` when `file` exists, and any write error.
 */
export async function writeNewJson(file: string, doc: unknown): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(doc, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replace `file` with `doc` as JSON atomically: a temporary file beside it (written and fsynced), renamed
 * over it, then the directory fsynced. Readers see the old document or the new one, never a part.
 */
export async function replaceJson(file: string, doc: unknown): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`);
  await writeNewJson(tmp, doc);
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
}
