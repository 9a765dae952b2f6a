/**
 * Safe, streaming extraction of an image archive (an OCI layout in a tar, a `docker save` tar; plain
 * or gzip-compressed) into a private temp directory: tar members are piped to files one at a time
 * (tar-stream), never held in memory.
 *
 * Fails closed on: absolute names or names with a `..` component, NUL bytes, two members with the
 * same name, member types other than file, directory, symlink and hard link, a member larger than
 * `maxEntrySize`, more than `maxEntries` members or more than `maxTotalSize` bytes. Symlinks and hard
 * links are never created on disk: they are recorded, and {@link ExtractedArchive.resolve} follows
 * them inside the archive only (a `docker save` archive links `<id>/layer.tar` to `../<hex>.tar`).
 *
 * @module image/archive-extract
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createRequire } from 'node:module';
import type TarStream from 'tar-stream';
import { err, ErrorCode, isMagikrunError } from '../errors.js';

/** Limits of {@link extractArchive}. */
export interface ExtractLimits {
  /** Largest member, in bytes. */
  maxEntrySize: number;
  /** Most bytes over all members. */
  maxTotalSize: number;
  /** Most members. @default 10 000 */
  maxEntries?: number;
}

/** What an archive held. */
export interface ExtractedArchive {
  /** The directory the regular files were written to. */
  dir: string;
  /** Normalised names of the regular files. */
  files: ReadonlySet<string>;
  /**
   * The file a member name stands for, following symlinks and hard links inside the archive (at most
   * 8 hops); undefined when it names no regular file.
   */
  resolve(name: string): string | undefined;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * A member name as a relative POSIX path (`./a//b/` → `a/b`), or an error for names that could leave
 * the directory.
 */
export function normaliseMemberName(name: string, archive: string): string {
  const refuse = (why: string) => err(ErrorCode.PathEscape, `archive ${archive} has a member ${JSON.stringify(name)} that ${why}; refusing the whole archive`, { archive, name });
  if (name.includes('\0')) throw refuse('contains a NUL byte');
  if (name.startsWith('/')) throw refuse('is an absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('has a ".." component');
  return parts.join('/');
}

async function openArchive(file: string): Promise<Readable> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw err(ErrorCode.NotFound, `archive ${file} does not exist`, { path: file });
    throw err(ErrorCode.InvalidArgument, `cannot read archive ${file}: ${(e as Error).message}`, { path: file }, e);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw err(ErrorCode.InvalidArgument, `${file} is not a regular file; give a tar archive`, { path: file });
  }
  const head = Buffer.alloc(2);
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const raw = createReadStream(file);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const out = new PassThrough();
    pipeline(raw, createGunzip(), out).catch((e: unknown) =>
      out.destroy(err(ErrorCode.InvalidArgument, `archive ${file} is not a valid gzip stream: ${(e as Error).message}`, { path: file }, e)),
    );
    return out;
  }
  return raw;
}

/**
 * Extract `file` into `dest` (which must exist and be private to the caller).
 *
 * @throws MagikrunError `NOT_FOUND` (no such file), `INVALID_ARGUMENT` (not a tar, a bad member type,
 *   a duplicate name), `PATH_ESCAPE`, `LIMIT_EXCEEDED`, `ABORTED`
 */
export async function extractArchive(file: string, dest: string, limits: ExtractLimits, signal?: AbortSignal): Promise<ExtractedArchive> {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const files = new Set<string>();
  const dirs = new Set<string>();
  const links = new Map<string, string>();
  let count = 0;
  let total = 0;
  const source = await openArchive(file);
  // Loaded on first use: only `load` and archive sources read tar archives here.
  const tar = createRequire(import.meta.url)('tar-stream') as typeof TarStream;
  const extract = tar.extract();
  const seen = (name: string) => files.has(name) || links.has(name);

  const consume = (async () => {
    for await (const entry of extract) {
      if (signal?.aborted) throw err(ErrorCode.Aborted, `importing ${file} was aborted`, { path: file }, signal.reason);
      const h = entry.header;
      if (++count > maxEntries) {
        throw err(ErrorCode.LimitExceeded, `archive ${file} has more than ${maxEntries} members`, { limit: 'maxEntries', max: maxEntries, path: file });
      }
      const name = normaliseMemberName(h.name, file);
      if (h.type === 'directory') {
        dirs.add(name);
        entry.resume();
        continue;
      }
      if (name === '') throw err(ErrorCode.InvalidArgument, `archive ${file} has a ${h.type ?? 'file'} member with an empty name`, { path: file });
      if (seen(name) || dirs.has(name)) {
        throw err(ErrorCode.InvalidArgument, `archive ${file} has two members named ${JSON.stringify(name)}; refusing it (which one is meant is ambiguous)`, { path: file, name });
      }
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.linkname ?? '';
        // symlink targets are relative to the member's directory; hard link targets to the archive root
        const joined = h.type === 'symlink' ? path.posix.join(path.posix.dirname(name), target) : target;
        if (target.startsWith('/') || path.posix.normalize(joined).split('/').includes('..')) {
          throw err(ErrorCode.PathEscape, `archive ${file} has a link ${JSON.stringify(name)} → ${JSON.stringify(target)} that leaves the archive`, { path: file, name, target });
        }
        links.set(name, normaliseMemberName(path.posix.normalize(joined), file));
        entry.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        throw err(ErrorCode.InvalidArgument, `archive ${file} has a member ${JSON.stringify(name)} of type ${h.type}; an image archive holds only files, directories and links`, { path: file, name, type: h.type });
      }
      const size = h.size ?? 0;
      if (size > limits.maxEntrySize) {
        throw err(ErrorCode.LimitExceeded, `archive ${file}: member ${JSON.stringify(name)} is ${size} bytes, more than the limit of ${limits.maxEntrySize}`, { limit: 'maxEntrySize', max: limits.maxEntrySize, value: size });
      }
      total += size;
      if (total > limits.maxTotalSize) {
        throw err(ErrorCode.LimitExceeded, `archive ${file} holds more than ${limits.maxTotalSize} bytes`, { limit: 'maxTotalSize', max: limits.maxTotalSize, value: total });
      }
      files.add(name);
      const target = path.join(dest, ...name.split('/'));
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o600 }), ...(signal ? [{ signal }] : []));
    }
  })();

  try {
    await Promise.all([
      pipeline(source, extract).catch((e: unknown) => {
        throw err(ErrorCode.InvalidArgument, `archive ${file} is not a readable tar archive: ${(e as Error).message}`, { path: file }, e);
      }),
      consume,
    ]);
  } catch (e) {
    source.destroy();
    extract.destroy();
    await consume.catch(() => undefined);
    if (signal?.aborted) throw err(ErrorCode.Aborted, `importing ${file} was aborted`, { path: file }, e);
    if (isMagikrunError(e)) throw e;
    throw err(ErrorCode.InvalidArgument, `archive ${file} is not a readable tar archive: ${(e as Error).message}`, { path: file }, e);
  }

  return {
    dir: dest,
    files,
    resolve(name: string): string | undefined {
      let n: string;
      try {
        n = normaliseMemberName(name, file);
      } catch {
        return undefined;
      }
      for (let hop = 0; hop <= 8; hop++) {
        if (files.has(n)) return path.join(dest, ...n.split('/'));
        const next = links.get(n);
        if (next === undefined) return undefined;
        n = next;
      }
      return undefined;
    },
  };
}
