/**
 * Applying one layer's tar entries onto a rootfs directory (image-spec layer.md "Applying Changesets").
 *
 * Safe by construction: every entry name is checked ({@link entryComponents}); every parent directory
 * is resolved with {@link resolveInRoot}, so symlinks are followed only as the image would see them and
 * never out of the root; the entry itself is created without following a symlink (O_NOFOLLOW, lstat,
 * unlink-then-create); hard links must point at a non-directory already inside the root. Whiteouts
 * (`.wh.NAME`, `.wh..wh..opq`) remove what lower layers put there, never what this layer added.
 *
 * Not done yet (the OCI-bundle issue adds them): ownership (uid/gid), timestamps, xattrs, device
 * nodes and FIFOs (skipped and counted), sparse files. Directories keep at least u+rwx so later
 * entries can be written; the rootfs is shared read-only with the workload anyway.
 *
 * @module bundle-builder/rootfs/apply-entries
 */
import { constants as fsc } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rm, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Extract, Header } from 'tar-stream';
import { err, ErrorCode } from '../../errors.js';
import { entryComponents, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './entry-name.js';
import { isInside, resolveInRoot } from './resolve-in-root.js';

/** What applying a layer did. */
export interface ApplyStats {
  /** Entries read. */
  entries: number;
  /** Bytes of regular-file content written. */
  fileBytes: number;
  /** Whiteouts applied. */
  whiteouts: number;
  /** Entries not materialised (device nodes, FIFOs), by name. */
  skipped: string[];
}

/** Options of {@link applyEntries}. */
export interface ApplyOptions {
  /** The layer digest, for messages. */
  layer: string;
  /** Largest single file, in bytes (uncompressed). */
  maxFileSize: number;
}

const O_NOFOLLOW = fsc.O_NOFOLLOW ?? 0;

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Remove whatever is at `p` (a symlink is removed itself, never followed). */
async function removeEntry(p: string): Promise<void> {
  const st = await lstatOrUndefined(p);
  if (!st) return;
  if (st.isDirectory()) await rm(p, { recursive: true, force: true });
  else await unlink(p);
}

/** Create (mkdir -p) the directory `components` names inside `root`, following symlinks only inside it. */
async function ensureDir(root: string, components: string[], layer: string, entry: string): Promise<string> {
  const real = await resolveInRoot(root, components.join('/'), true);
  if (!isInside(root, real)) {
    throw err(ErrorCode.PathEscape, `layer ${layer}: entry ${JSON.stringify(entry)} resolves outside the image root`, { layer, entry });
  }
  try {
    await mkdir(real, { recursive: true, mode: 0o755 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      throw err(ErrorCode.InvalidArgument, `layer ${layer}: entry ${JSON.stringify(entry)} needs ${components.join('/')} to be a directory, but it is not`, { layer, entry });
    }
    throw e;
  }
  const st = await lstat(real);
  if (!st.isDirectory()) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer}: entry ${JSON.stringify(entry)} needs ${components.join('/')} to be a directory, but it is not`, { layer, entry });
  }
  return real;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

/**
 * Apply the entries of `extract` (a tar-stream extractor being fed the uncompressed layer) to `root`.
 *
 * @throws MagikrunError `PATH_ESCAPE` (`..` names, a hard link out of the root), `LIMIT_EXCEEDED`
 *   (a file over `maxFileSize`), `INVALID_ARGUMENT` (a path that must be a directory is not, a hard
 *   link to nothing or to a directory, a malformed whiteout).
 */
export async function applyEntries(root: string, extract: Extract, options: ApplyOptions): Promise<ApplyStats> {
  const { layer } = options;
  const stats: ApplyStats = { entries: 0, fileBytes: 0, whiteouts: 0, skipped: [] };
  /** Host paths this layer created: whiteouts in the same layer must not remove them. */
  const created = new Set<string>();

  for await (const entry of extract) {
    const header: Header = entry.header;
    stats.entries++;
    const parts = entryComponents(header.name, layer);
    if (parts.length === 0) {
      // The root directory itself ("/", "./"): nothing to create.
      await drain(entry);
      continue;
    }
    const base = parts[parts.length - 1]!;
    const parent = await ensureDir(root, parts.slice(0, -1), layer, header.name);
    const target = path.join(parent, base);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      await drain(entry);
      stats.whiteouts++;
      if (base === WHITEOUT_OPAQUE) {
        for (const child of await readdir(parent)) {
          const p = path.join(parent, child);
          if (!created.has(p)) await removeEntry(p);
        }
        continue;
      }
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..' || hidden.startsWith(WHITEOUT_PREFIX)) {
        throw err(ErrorCode.InvalidArgument, `layer ${layer} has a malformed whiteout ${JSON.stringify(header.name)}`, { layer, entry: header.name });
      }
      const victim = path.join(parent, hidden);
      if (!created.has(victim)) await removeEntry(victim);
      continue;
    }

    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory': {
        const st = await lstatOrUndefined(target);
        if (st && !st.isDirectory()) await removeEntry(target);
        if (!st || !st.isDirectory()) await mkdir(target, { mode: 0o700 });
        await chmod(target, mode | 0o700);
        created.add(target);
        await drain(entry);
        break;
      }
      case 'file':
      case 'contiguous-file': {
        const size = header.size ?? 0;
        if (size > options.maxFileSize) {
          throw err(ErrorCode.LimitExceeded, `layer ${layer}: file ${JSON.stringify(header.name)} is ${size} bytes, more than the limit of ${options.maxFileSize}`, {
            layer,
            entry: header.name,
            limit: 'maxLayerSize',
            max: options.maxFileSize,
            value: size,
          });
        }
        await removeEntry(target);
        const fh = await open(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | O_NOFOLLOW, 0o600);
        try {
          // tar-stream entries are streamx streams (Node's Readable.from cannot wrap them): copy by hand.
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
          }
          await fh.chmod(mode);
        } finally {
          await fh.close();
        }
        stats.fileBytes += size;
        created.add(target);
        break;
      }
      case 'symlink': {
        await drain(entry);
        const linkname = header.linkname ?? '';
        if (linkname === '' || linkname.includes('\0')) {
          throw err(ErrorCode.InvalidArgument, `layer ${layer}: symlink ${JSON.stringify(header.name)} has no valid target`, { layer, entry: header.name });
        }
        await removeEntry(target);
        await symlink(linkname, target);
        created.add(target);
        break;
      }
      case 'link': {
        await drain(entry);
        const srcParts = entryComponents(header.linkname ?? '', layer);
        if (srcParts.length === 0) {
          throw err(ErrorCode.InvalidArgument, `layer ${layer}: hard link ${JSON.stringify(header.name)} has no target`, { layer, entry: header.name });
        }
        const src = await resolveInRoot(root, srcParts.join('/'), false);
        if (!isInside(root, src)) {
          throw err(ErrorCode.PathEscape, `layer ${layer}: hard link ${JSON.stringify(header.name)} points outside the image root`, { layer, entry: header.name });
        }
        const st = await lstatOrUndefined(src);
        if (!st || st.isDirectory()) {
          throw err(
            ErrorCode.InvalidArgument,
            `layer ${layer}: hard link ${JSON.stringify(header.name)} → ${JSON.stringify(header.linkname)} points at ${st ? 'a directory' : 'nothing'}`,
            { layer, entry: header.name },
          );
        }
        if (src !== target) {
          await removeEntry(target);
          await link(src, target);
        }
        created.add(target);
        break;
      }
      default: {
        // character-device, block-device, fifo: not materialised (no mknod here); pax/gnu headers are
        // consumed by tar-stream itself.
        await drain(entry);
        stats.skipped.push(header.name);
      }
    }
  }
  return stats;
}
