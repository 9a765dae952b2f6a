/**
 * The local image index: which manifest a reference resolved to when it was pulled.
 *
 * One JSON file per reference, `<root>/images/<sha256 hex of the reference>.json` (the reference itself
 * is inside, so names of any length and character set work on every filesystem), written atomically
 * (temp file, fsync, rename, fsync of the directory). `pullImage` writes an entry only after every
 * blob of the image was verified and stored.
 *
 * @module image/local-index
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import type { OciPlatform } from '../platform/types.js';
import { isDigest } from '../storage/digest.js';
import { ensureStoreDir, prepareStoreRoot } from '../storage/root.js';
import { replaceJson } from '../storage/durable-file.js';

/** Largest index entry file read, in bytes: 64 KiB. */
const MAX_ENTRY_SIZE = 64 * 1024;

/** One entry: a reference and what it resolved to. */
export interface ImageIndexEntry {
  /** The key: a canonical registry reference (`docker.io/library/alpine:latest`) or `oci:DIR[:TAG]`. */
  reference: string;
  /** Digest of the image manifest that was pulled (for an index: the chosen platform's manifest). */
  digest: string;
  /** Media type of that manifest. */
  mediaType: string;
  /** Digest of the index the reference pointed at, when it pointed at one. */
  indexDigest?: string;
  /** The image's platform, from its config. */
  platform: OciPlatform;
  /** Bytes of manifest + config + layers. */
  size: number;
  /** When it was pulled (ISO 8601). */
  pulledAt: string;
}

function entryName(reference: string): string {
  return `${createHash('sha256').update(reference, 'utf8').digest('hex')}.json`;
}

function isEntry(v: unknown): v is ImageIndexEntry {
  const e = v as Partial<ImageIndexEntry> | null;
  return (
    typeof e === 'object' && e !== null &&
    typeof e.reference === 'string' && isDigest(e.digest) && typeof e.mediaType === 'string' &&
    (e.indexDigest === undefined || isDigest(e.indexDigest)) &&
    typeof e.platform === 'object' && e.platform !== null && typeof e.size === 'number' && typeof e.pulledAt === 'string'
  );
}

/** The reference → manifest map under `<root>/images/`. */
export class LocalImageIndex {
  /** `<root>/images` */
  readonly dir: string;

  /** @param root the store root (the BlobStore's `root`). */
  constructor(readonly root: string) {
    this.dir = path.join(root, 'images');
  }

  /** The entry of `reference` (a canonical reference or `oci:` key), or undefined. */
  async get(reference: string): Promise<ImageIndexEntry | undefined> {
    let text: string;
    try {
      const file = path.join(this.dir, entryName(reference));
      const fh = await open(file, 'r');
      try {
        const { size } = await fh.stat();
        if (size > MAX_ENTRY_SIZE) throw err(ErrorCode.InvalidArgument, `image index entry ${file} is too large; delete it and pull again`, { file });
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw err(ErrorCode.InvalidArgument, `the image index entry of ${reference} is not valid JSON; pull the image again`, { reference }, e);
    }
    if (!isEntry(v) || v.reference !== reference) {
      throw err(ErrorCode.InvalidArgument, `the image index entry of ${reference} is malformed; pull the image again`, { reference });
    }
    return v;
  }

  /** Record (or replace) an entry, atomically. */
  async set(entry: ImageIndexEntry): Promise<void> {
    if (!isEntry(entry)) throw err(ErrorCode.InvalidArgument, 'malformed image index entry', { reference: (entry as { reference?: unknown })?.reference });
    await prepareStoreRoot(this.root);
    await ensureStoreDir(this.dir);
    await replaceJson(path.join(this.dir, entryName(entry.reference)), entry);
  }

  /** Remove the entry of `reference`. @returns false when there was none. */
  async delete(reference: string): Promise<boolean> {
    try {
      await unlink(path.join(this.dir, entryName(reference)));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /**
   * All entries, sorted by reference.
   *
   * @param options.strict throw on an unreadable or malformed entry file instead of skipping it
   *   (garbage collection must not sweep what an entry it cannot read references). @default false
   * @throws MagikrunError `INVALID_ARGUMENT` (strict only) naming the file to delete or the image to pull again.
   */
  async list(options: { strict?: boolean } = {}): Promise<ImageIndexEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ImageIndexEntry[] = [];
    for (const name of names) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      const file = path.join(this.dir, name);
      let v: unknown;
      try {
        v = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        if (options.strict) throw err(ErrorCode.InvalidArgument, `image index entry ${file} cannot be read (${(e as Error).message}); delete it, then pull its image again`, { file }, e);
        continue;
      }
      if (isEntry(v) && entryName(v.reference) === name) out.push(v);
      else if (options.strict) throw err(ErrorCode.InvalidArgument, `image index entry ${file} is malformed; delete it, then pull its image again`, { file });
    }
    return out.sort((a, b) => a.reference.localeCompare(b.reference));
  }
}
