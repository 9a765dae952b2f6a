/**
 * Applying one layer's tar entries onto a directory — image-spec layer.md "Applying Changesets", with
 * containerd's semantics (archive/tar.go `applyNaive` + `createTarFile`):
 *
 * - Every entry name is checked ({@link entryComponents}); its parent directory is resolved with
 *   {@link resolveInRoot} (symlinks followed as the image sees them, never out of the root) and created
 *   when missing (0755 before the umask, as containerd's mkparent); an entry naming the root is skipped.
 * - The entry itself is never followed: what is in its place is removed (a directory recursively)
 *   unless both are directories (then they merge and the entry's metadata wins), and the new inode is
 *   created with O_CREAT|O_EXCL|O_NOFOLLOW, mkdir, symlink, link or mknod — so no existing inode (a
 *   hard-linked or cached file) is ever written into.
 * - Whiteouts `.wh.NAME` and the opaque marker `.wh..wh..opq` act wherever they stand in the tar and hide
 *   only what lower layers put there (image-spec: "files that are present in the same layer as a whiteout
 *   file can only be hidden by whiteout files in subsequent layers"); markers never reach the tree.
 *   `.wh.`, `.wh..`, `.wh...` are malformed (`INVALID_ARGUMENT`); other `.wh..wh.*` names are AUFS
 *   metadata and are skipped with a warning, as Docker does. A whiteout below a path that is not a
 *   directory hides nothing and is a no-op (umoci writes those after turning a directory into a file).
 * - Hard links: the target is a name relative to the layer root, resolved inside the root without
 *   following its last component (link(2) links a symlink itself), and must exist and not be a directory.
 *   The shared inode's metadata is left as it is.
 * - Metadata in containerd's order: owner (numeric uid/gid, without following links), xattrs, mode
 *   (after chown, which clears setuid/setgid; exact, whatever the umask), then times; directory times
 *   are set after the whole layer, so later entries do not disturb them.
 * - Device nodes only when privileged (root), else skipped with a warning; FIFOs always (through
 *   `mknod`); ownership is skipped with one warning per layer when not root.
 *
 * On an overlay mount (the snapshotter's case) the removals above are what make the kernel write its
 * own whiteouts; this module never writes overlay whiteouts or `trusted.overlay.*` attributes itself.
 *
 * Not safe against a concurrent writer in the same tree: the tree must be private (0700 parent) while
 * it is built, as {@link unpackRootfs} and the snapshotter keep it.
 *
 * Where this differs from containerd (each a deliberate choice): a `..` component in a name or hard-link
 * target is refused (`PATH_ESCAPE`) instead of clamped; a plain `.wh.NAME` spares what the same layer
 * created (image-spec), where containerd removes it; a hard-link entry does not re-apply owner, mode and
 * times to the inode it shares; whiteouts under a non-directory are no-ops instead of ENOTDIR errors;
 * `trusted.overlay.*`/`user.overlay.*` xattrs from a layer are skipped; AUFS `.wh..wh.*` metadata is
 * skipped (as Docker) instead of materialised. Like containerd and unlike umoci, writing an entry into a
 * lower layer's directory leaves that directory's mtime at "now" (umoci restores it).
 *
 * @module rootfs/apply-entries
 */
import { chmodSync, chownSync, closeSync, lstatSync, rmdirSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, lutimesSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { entryComponents, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from './entry-name.js';
import { closeFd, fchmodFd, fchownFd, futimesFd, openFd, writeAll } from './fd-ops.js';
import { entryError } from './fs-errors.js';
import type { LayerLimits } from './limits.js';
import { isInside, resolveInRoot, type ResolveBudget } from './resolve-in-root.js';
import { makeSpecialFile } from './special-files.js';
import type { TarEntry, TarReader } from './tar-reader.js';
import { checkXattrs, setXattr } from './xattrs.js';
import type { UnpackWarning, WarningSink } from './warnings.js';

/** What applying a layer did. */
export interface ApplyStats {
  /** Entries read (extended headers not counted). */
  entries: number;
  /** Bytes of regular-file content written. */
  fileBytes: number;
  /** Whiteouts and opaque markers applied. */
  whiteouts: number;
  /** Entries not materialised (device nodes when not privileged, AUFS metadata…), by name. */
  skipped: string[];
  /** Everything reported through `onWarning`. */
  warnings: UnpackWarning[];
}

/** Options of {@link applyEntries}. */
export interface ApplyOptions {
  /** The layer digest, for messages. */
  layer: string;
  limits: Pick<LayerLimits, 'maxLayerSize' | 'maxPathLength' | 'maxPathDepth' | 'maxXattrValueSize' | 'maxXattrsPerEntry' | 'maxResolveSteps'>;
  /** Create device nodes and apply ownership. @default process.geteuid() === 0 */
  privileged?: boolean;
  onWarning?: WarningSink;
  signal?: AbortSignal;
}

const O_NOFOLLOW = fsc.O_NOFOLLOW ?? 0;
const CREATE_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | O_NOFOLLOW;
const S_ISGID = 0o2000;
/**
 * Regular files up to this size, directories and symlinks are made with synchronous calls: Node's async
 * fs costs a thread-pool round trip per call (futex and eventfd traffic several times the syscall
 * itself), which made a 30 000-file layer twice as slow as GNU tar. The event loop is still served:
 * the applier yields after {@link SYNC_SLICE_MS} of such work, and whenever it waits for more of the
 * decompressed stream. Larger files, removals, and everything that spawns a tool stay asynchronous.
 */
const SYNC_FILE_MAX = 256 * 1024;
/** Longest stretch of synchronous filesystem work before the applier yields to the event loop, in ms. */
const SYNC_SLICE_MS = 10;

/** containerd's boundTime: times before the epoch (or not finite) become the epoch. */
function boundTime(t: number): number {
  return Number.isFinite(t) && t > 0 ? Math.min(t, 253402300799) : 0;
}

/** A resolved parent directory. */
interface ParentDir {
  host: string;
  /** New entries inherit its group (and directories its setgid bit): their owner and mode are always set. */
  setgid: boolean;
}

interface DirRecord {
  mode: number;
  atime: number;
  mtime: number;
  /** When it was recorded (the applier's event counter). */
  seq: number;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/**
 * One layer's application onto `root`. Use {@link applyEntries}; the class only holds the per-layer state.
 */
class LayerApplier {
  readonly stats: ApplyStats = { entries: 0, fileBytes: 0, whiteouts: 0, skipped: [], warnings: [] };
  /** Host paths this layer created or merged: its own whiteouts must not remove them. */
  private readonly created = new Set<string>();
  /** Resolved parent directories (entry-relative path → host dir), valid until a directory or symlink is removed. */
  private readonly dirCache = new Map<string, ParentDir>();
  /** Directories an opaque marker of this layer already emptied: a second marker has nothing left to remove. */
  private readonly opaqued = new Set<string>();
  /** Directories of this layer whose times (and, unprivileged, exact mode) are set at the end. */
  private readonly dirs = new Map<string, DirRecord>();
  /** Directories removed during this layer (host path → event counter at removal): records below them are stale. */
  private readonly removedDirs = new Map<string, number>();
  /** Event counter ordering records and removals. */
  private seq = 0;
  private readonly privileged: boolean;
  private ownershipWarned = false;
  /** Who creates the inodes: what they are owned by before any chown. */
  private readonly euid = process.geteuid?.() ?? -1;
  private readonly egid = process.getegid?.() ?? -1;
  /** The process umask, which open(2) and mkdir(2) apply. */
  private readonly umask = process.umask();
  private sliceStart = performance.now();
  /** The root as a parent (its setgid bit read once, at the first entry). */
  private rootDir!: ParentDir;
  /** Path components this layer's resolutions may still walk (maxResolveSteps). */
  private readonly resolveBudget: ResolveBudget;

  async init(): Promise<void> {
    this.rootDir = { host: this.root, setgid: ((await lstat(this.root)).mode & S_ISGID) !== 0 };
  }

  constructor(
    private readonly root: string,
    private readonly options: ApplyOptions,
  ) {
    this.privileged = options.privileged ?? this.euid === 0;
    this.resolveBudget = { steps: options.limits.maxResolveSteps, limit: options.limits.maxResolveSteps };
  }

  /** True when an inode just created in `parent` must be chowned to `entry`'s owner (false when unprivileged: warned once). */
  private needsChown(entry: TarEntry, parent: ParentDir): boolean {
    if (!this.privileged) {
      if (!this.ownershipWarned) {
        this.ownershipWarned = true;
        this.warn({ code: 'ownership-skipped', message: 'not running as root: file owners (uid/gid) of this layer were not applied; files belong to the unpacking user' });
      }
      return false;
    }
    return parent.setgid || entry.uid !== this.euid || entry.gid !== this.egid;
  }

  /** Yield to the event loop after {@link SYNC_SLICE_MS} of synchronous filesystem work. */
  private async breathe(): Promise<void> {
    const now = performance.now();
    if (now - this.sliceStart < SYNC_SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  /** True when `mode` cannot come out of open/mkdir as it is (special bits, or bits the umask removes). */
  private needsChmod(mode: number): boolean {
    return (mode & 0o7000) !== 0 || (mode & this.umask) !== 0;
  }

  private get layer(): string {
    return this.options.layer;
  }

  private warn(w: Omit<UnpackWarning, 'layer'>): void {
    const full: UnpackWarning = { layer: this.layer, ...w };
    this.stats.warnings.push(full);
    this.options.onWarning?.(full);
  }

  /** Remove whatever is at `host` without following it; true when something was there. */
  private async removeAt(host: string): Promise<boolean> {
    let st;
    try {
      st = await lstat(host);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return false;
      throw e;
    }
    if (st.isDirectory()) {
      // An empty directory with one rmdir(2); fs.rm's recursive walk costs about a millisecond even then.
      try {
        rmdirSync(host);
      } catch {
        await rm(host, { recursive: true, force: true });
      }
      this.forgetDir(host);
    } else {
      await unlink(host);
      if (st.isSymbolicLink()) this.dirCache.clear();
    }
    return true;
  }

  /**
   * A directory at `host` is gone: drop cached resolutions; records at or below it become stale
   * ({@link isStale}). Noted rather than searched for: scanning every record at every removal made a
   * layer of many directories, each then replaced by a file, quadratic.
   */
  private forgetDir(host: string): void {
    this.dirCache.clear();
    this.removedDirs.set(host, ++this.seq);
  }

  /** True when the directory recorded at `host` (at `seq`) or one of its parents was removed since. */
  private isStale(host: string, seq: number): boolean {
    if (this.removedDirs.size === 0) return false;
    for (let p = host; p.length > this.root.length; p = path.dirname(p)) {
      const removed = this.removedDirs.get(p);
      if (removed !== undefined && removed > seq) return true;
    }
    return false;
  }

  /** The host directory for the entry-relative components `parts` (created when missing). */
  private async parentDir(parts: string[], entry: string): Promise<ParentDir>;
  private async parentDir(parts: string[], entry: string, forWhiteout: true): Promise<ParentDir | undefined>;
  /**
   * @param forWhiteout a whiteout's parent: when a non-directory stands in its way there is nothing
   *   below it to hide, so the answer is `undefined` instead of an error (umoci writes such whiteouts
   *   after replacing a directory with a file).
   */
  private async parentDir(parts: string[], entry: string, forWhiteout = false): Promise<ParentDir | undefined> {
    const key = parts.join('/');
    const cached = this.dirCache.get(key);
    if (cached !== undefined) return cached;
    // Parent first (cached on the way), then this component from it: each directory is resolved once.
    const up = parts.length > 1 ? await this.parentDir(parts.slice(0, -1), entry, forWhiteout as true) : this.rootDir;
    if (up === undefined) return undefined;
    const host = await resolveInRoot(this.root, parts[parts.length - 1]!, true, { from: up.host, budget: this.resolveBudget });
    if (!isInside(this.root, host)) {
      // resolveInRoot clamps at the root; this is a second, independent guard.
      throw err(ErrorCode.PathEscape, `layer ${this.layer}: entry ${JSON.stringify(entry)} resolves outside the image root`, { layer: this.layer, entry });
    }
    try {
      await mkdir(host, { recursive: true, mode: 0o755 });
    } catch (e) {
      if (errno(e) === 'EEXIST' || errno(e) === 'ENOTDIR') {
        if (forWhiteout) return undefined;
        throw err(ErrorCode.InvalidArgument, `layer ${this.layer}: entry ${JSON.stringify(entry)} needs ${key} to be a directory, but it is not`, { layer: this.layer, entry });
      }
      throw entryError(e, this.layer, entry, 'create the parent directory of');
    }
    const dir: ParentDir = { host, setgid: ((await lstat(host)).mode & S_ISGID) !== 0 };
    this.dirCache.set(key, dir);
    return dir;
  }

  /**
   * The host path of the entry-relative directory `parts` (not created), resolved from the longest
   * cached parent — its host path is resolved and holds no symlink — within the layer's budget.
   */
  private async resolveDir(parts: string[]): Promise<string> {
    const cached = this.dirCache.get(parts.join('/'));
    if (cached !== undefined) return cached.host;
    let from: ParentDir | undefined;
    let k = parts.length - 1;
    for (; k > 0 && from === undefined; k--) from = this.dirCache.get(parts.slice(0, k).join('/'));
    return from
      ? resolveInRoot(this.root, parts.slice(k + 1).join('/'), true, { from: from.host, budget: this.resolveBudget })
      : resolveInRoot(this.root, parts.join('/'), true, { budget: this.resolveBudget });
  }

  private async xattrs(entry: TarEntry, host: string): Promise<void> {
    for (const key of entry.ignoredRecords) {
      this.warn({ code: 'xattr-skipped', entry: entry.name, message: `PAX record ${key} is not applied (only SCHILY.xattr.* records are)` });
    }
    if (!entry.xattrs || entry.xattrs.size === 0) return;
    const { apply, skipped } = checkXattrs(entry.xattrs, this.options.limits, this.layer, entry.name);
    for (const name of skipped) {
      this.warn({ code: 'xattr-skipped', entry: entry.name, message: `extended attribute ${name} is overlayfs-internal and is never taken from an image` });
    }
    for (const [name, value] of apply) {
      const r = await setXattr(host, name, value);
      if (r.ok) continue;
      if (r.reason === 'failed') {
        throw err(ErrorCode.Internal, `layer ${this.layer}: could not set extended attribute ${name} on ${JSON.stringify(entry.name)}: ${r.message}`, { layer: this.layer, entry: entry.name });
      }
      this.warn({ code: 'xattr-skipped', entry: entry.name, message: `extended attribute ${name} was not applied (${r.reason}: ${r.message})` });
    }
  }

  /** Create with O_EXCL|O_NOFOLLOW; whatever is in the way is removed first (once). */
  private async createFile(host: string, mode: number): Promise<number> {
    try {
      return await openFd(host, CREATE_FLAGS, mode);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    await this.removeAt(host);
    return openFd(host, CREATE_FLAGS, mode);
  }

  /** Content, owner, mode and times of a created file, through its fd only; closes it. */
  private async finishFile(fd: number, entry: TarEntry, content: AsyncIterable<Buffer> | Buffer[], chown: boolean, host: string | undefined): Promise<void> {
    try {
      for await (const chunk of content) await writeAll(fd, chunk);
      if (chown) await fchownFd(fd, entry.uid, entry.gid);
      // Set after chown (chown clears security.capability) and before the mode, as containerd does.
      if (host !== undefined) await this.xattrs(entry, host);
      // After chown, which clears setuid/setgid.
      if (this.needsChmod(entry.mode)) await fchmodFd(fd, entry.mode);
      const mtime = boundTime(entry.mtime);
      await futimesFd(fd, Math.max(boundTime(entry.atime ?? 0), mtime), mtime);
    } finally {
      await closeFd(fd);
    }
  }

  private async file(entry: TarEntry, parent: ParentDir, host: string, body: AsyncIterable<Buffer>): Promise<void> {
    if (entry.size > this.options.limits.maxLayerSize) {
      throw err(ErrorCode.LimitExceeded, `layer ${this.layer}: file ${JSON.stringify(entry.name)} is ${entry.size} bytes, more than the layer limit of ${this.options.limits.maxLayerSize}`, {
        layer: this.layer,
        entry: entry.name,
        limit: 'maxLayerSize',
        max: this.options.limits.maxLayerSize,
        value: entry.size,
      });
    }
    const chown = this.needsChown(entry, parent);
    const withXattrs = entry.xattrs !== undefined || entry.ignoredRecords.length > 0;
    if (withXattrs || entry.size > SYNC_FILE_MAX) {
      const fd = await this.createFile(host, entry.mode & 0o777);
      await this.finishFile(fd, entry, body, chown, withXattrs ? host : undefined);
    } else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c);
      let fd: number;
      try {
        fd = openSync(host, CREATE_FLAGS, entry.mode & 0o777);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
        await this.removeAt(host);
        fd = openSync(host, CREATE_FLAGS, entry.mode & 0o777);
      }
      try {
        for (const c of chunks) for (let off = 0; off < c.length; ) off += writeSync(fd, c, off, c.length - off);
        if (chown) fchownSync(fd, entry.uid, entry.gid);
        if (this.needsChmod(entry.mode)) fchmodSync(fd, entry.mode);
        const mtime = boundTime(entry.mtime);
        futimesSync(fd, Math.max(boundTime(entry.atime ?? 0), mtime), mtime);
      } finally {
        closeSync(fd);
      }
      await this.breathe();
    }
    this.stats.fileBytes += entry.size;
  }

  private async directory(entry: TarEntry, parent: ParentDir, host: string, key: string): Promise<void> {
    // Unprivileged, keep u+rwx until the end of the layer so that its own entries can be written inside.
    const mode = this.privileged ? entry.mode : entry.mode | 0o700;
    let fresh = true;
    try {
      mkdirSync(host, mode & 0o777);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      if ((await lstat(host)).isDirectory()) fresh = false;
      else {
        await this.removeAt(host);
        mkdirSync(host, mode & 0o777);
      }
    }
    // By path: the directory was just made (or lstat-ed) here, and only this unpack writes the tree.
    if ((!fresh || this.needsChown(entry, parent)) && this.privileged) chownSync(host, entry.uid, entry.gid);
    if (entry.xattrs || entry.ignoredRecords.length > 0) await this.xattrs(entry, host);
    if (!fresh || parent.setgid || this.needsChmod(mode)) chmodSync(host, mode);
    const mtime = boundTime(entry.mtime);
    this.dirs.set(host, { mode: entry.mode, mtime, atime: Math.max(boundTime(entry.atime ?? 0), mtime), seq: ++this.seq });
    this.dirCache.set(key, { host, setgid: (entry.mode & S_ISGID) !== 0 });
    await this.breathe();
  }

  private async symlink(entry: TarEntry, parent: ParentDir, host: string): Promise<void> {
    const target = entry.linkname;
    if (target === '' || target.includes('\0') || Buffer.byteLength(target) > this.options.limits.maxPathLength) {
      throw err(ErrorCode.InvalidArgument, `layer ${this.layer}: symlink ${JSON.stringify(entry.name)} has no valid target (empty, NUL or longer than ${this.options.limits.maxPathLength} bytes)`, {
        layer: this.layer,
        entry: entry.name,
      });
    }
    try {
      symlinkSync(target, host);
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      await this.removeAt(host);
      symlinkSync(target, host);
    }
    if (this.needsChown(entry, parent)) lchownSync(host, entry.uid, entry.gid);
    if (entry.xattrs || entry.ignoredRecords.length > 0) await this.xattrs(entry, host);
    const mtime = boundTime(entry.mtime);
    lutimesSync(host, Math.max(boundTime(entry.atime ?? 0), mtime), mtime);
    await this.breathe();
  }

  private async hardlink(entry: TarEntry, host: string): Promise<void> {
    const srcParts = entryComponents(entry.linkname, this.layer, this.options.limits);
    if (srcParts.length === 0) {
      throw err(ErrorCode.InvalidArgument, `layer ${this.layer}: hard link ${JSON.stringify(entry.name)} has no target (or targets the root)`, { layer: this.layer, entry: entry.name });
    }
    // The target's parent is resolved inside the root (symlinks followed as the image sees them); its last
    // component is not followed: link(2) on a symlink links the symlink itself.
    const srcDirParts = srcParts.slice(0, -1);
    const srcParent = await this.resolveDir(srcDirParts);
    const src = path.join(srcParent, srcParts[srcParts.length - 1]!);
    if (!isInside(this.root, src) || src === this.root) {
      throw err(ErrorCode.PathEscape, `layer ${this.layer}: hard link ${JSON.stringify(entry.name)} points outside the image root`, { layer: this.layer, entry: entry.name });
    }
    if (src === host) {
      throw err(ErrorCode.InvalidArgument, `layer ${this.layer}: hard link ${JSON.stringify(entry.name)} points at itself`, { layer: this.layer, entry: entry.name });
    }
    const bad = (what: string) =>
      err(ErrorCode.InvalidArgument, `layer ${this.layer}: hard link ${JSON.stringify(entry.name)} → ${JSON.stringify(entry.linkname)} points at ${what}`, { layer: this.layer, entry: entry.name });
    const attempt = async () => {
      try {
        await link(src, host);
        return true;
      } catch (e) {
        const code = errno(e);
        if (code === 'EEXIST') return false;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw bad('nothing');
        if (code === 'EPERM') throw bad('a directory');
        throw e;
      }
    };
    if (!(await attempt())) {
      await this.removeAt(host);
      if (!(await attempt())) throw bad('a path that reappeared');
    }
    // link(2) found the target in srcParent, so it is an existing directory: cache it for the next link there.
    const srcKey = srcDirParts.join('/');
    if (srcDirParts.length > 0 && !this.dirCache.has(srcKey)) this.dirCache.set(srcKey, { host: srcParent, setgid: (lstatSync(srcParent).mode & S_ISGID) !== 0 });
  }

  private async special(entry: TarEntry, parent: ParentDir, host: string): Promise<void> {
    const type = entry.type as 'char' | 'block' | 'fifo';
    if (type !== 'fifo' && !this.privileged) {
      this.stats.skipped.push(entry.name);
      this.warn({ code: 'device-skipped', entry: entry.name, message: `device node ${entry.devmajor}:${entry.devminor} not created: creating device nodes needs root` });
      return;
    }
    await this.removeAt(host);
    const r = await makeSpecialFile(host, type, entry.mode, entry.devmajor, entry.devminor, this.layer, entry.name);
    if (!r.ok) {
      if (r.reason === 'failed') {
        throw err(ErrorCode.Internal, `layer ${this.layer}: mknod of ${JSON.stringify(entry.name)} failed: ${r.message}`, { layer: this.layer, entry: entry.name });
      }
      this.stats.skipped.push(entry.name);
      this.warn({ code: type === 'fifo' ? 'fifo-skipped' : 'device-skipped', entry: entry.name, message: `${type === 'fifo' ? 'FIFO' : 'device node'} not created (${r.reason}: ${r.message})` });
      return;
    }
    if (this.needsChown(entry, parent)) await lchown(host, entry.uid, entry.gid);
    if (entry.xattrs || entry.ignoredRecords.length > 0) await this.xattrs(entry, host);
    // Just created by mknod in a directory only this unpack writes: chmod by path cannot be redirected.
    await chmod(host, entry.mode);
    const mtime = boundTime(entry.mtime);
    await lutimes(host, Math.max(boundTime(entry.atime ?? 0), mtime), mtime);
  }

  /** `.wh..wh..opq` in `dir`: remove everything below `dir` that this layer did not create. */
  private async opaque(dir: string): Promise<void> {
    let children;
    try {
      children = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw e;
    }
    for (const c of children) {
      const p = path.join(dir, c.name);
      if (!this.created.has(p)) await this.removeAt(p);
      else if (c.isDirectory()) await this.opaque(p);
    }
  }

  /** Apply a whiteout or opaque marker named `base` in `parent` (`undefined`: a non-directory, nothing to hide). */
  private async whiteout(entry: TarEntry, parent: string | undefined, base: string): Promise<void> {
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (base !== WHITEOUT_OPAQUE && (hidden === '' || hidden === '.' || hidden === '..')) {
      throw err(ErrorCode.InvalidArgument, `layer ${this.layer} has a malformed whiteout ${JSON.stringify(entry.name)}`, { layer: this.layer, entry: entry.name });
    }
    this.stats.whiteouts++;
    if (parent === undefined) return;
    if (base === WHITEOUT_OPAQUE) {
      // Once emptied, only this layer's own entries are left below: repeating the walk for every repeated
      // marker would make a hostile layer quadratic.
      if (!this.opaqued.has(parent)) await this.opaque(parent);
      this.opaqued.add(parent);
      return;
    }
    const victim = path.join(parent, hidden);
    if (!this.created.has(victim)) await this.removeAt(victim);
  }

  async apply(entry: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    this.stats.entries++;
    const parts = entryComponents(entry.name, this.layer, this.options.limits);
    if (parts.length === 0) return; // the root itself: containerd ignores it too
    const base = parts[parts.length - 1]!;
    if (parts.some((p) => p.startsWith(WHITEOUT_META_PREFIX) && p !== WHITEOUT_OPAQUE)) {
      this.stats.skipped.push(entry.name);
      this.warn({ code: 'aufs-metadata-skipped', entry: entry.name, message: 'AUFS metadata is not image content and was skipped' });
      return;
    }
    if (parts.slice(0, -1).some((p) => p.startsWith(WHITEOUT_PREFIX))) {
      throw err(ErrorCode.InvalidArgument, `layer ${this.layer} has an entry ${JSON.stringify(entry.name)} inside a whiteout name; the layer is malformed`, {
        layer: this.layer,
        entry: entry.name,
      });
    }
    try {
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const dir = parts.length === 1 ? this.rootDir : await this.parentDir(parts.slice(0, -1), entry.name, true);
        await this.whiteout(entry, dir?.host, base);
        return;
      }
      const parent = parts.length === 1 ? this.rootDir : await this.parentDir(parts.slice(0, -1), entry.name);
      const host = path.join(parent.host, base);
      switch (entry.type) {
        case 'file':
          await this.file(entry, parent, host, body);
          break;
        case 'directory':
          await this.directory(entry, parent, host, parts.join('/'));
          break;
        case 'symlink':
          await this.symlink(entry, parent, host);
          break;
        case 'link':
          await this.hardlink(entry, host);
          break;
        case 'char':
        case 'block':
        case 'fifo':
          await this.special(entry, parent, host);
          break;
      }
      this.created.add(host);
    } catch (e) {
      throw entryError(e, this.layer, entry.name, `create ${entry.type}`);
    }
  }

  /**
   * Directory times (and, unprivileged, exact modes) once the layer is complete. Every record applied
   * names a directory this layer made or merged and that is still there: a record whose directory or
   * a parent of it was removed later is skipped ({@link isStale}), so neither call below can meet a
   * symlink.
   */
  async finish(): Promise<void> {
    for (const [host, d] of this.dirs) {
      if (this.isStale(host, d.seq)) continue;
      try {
        if (!this.privileged && (d.mode | 0o700) !== d.mode) chmodSync(host, d.mode);
        lutimesSync(host, d.atime, d.mtime);
      } catch (e) {
        throw entryError(e, this.layer, path.relative(this.root, host), 'set the times of');
      }
      await this.breathe();
    }
  }
}

/**
 * Apply the entries of `reader` (the uncompressed layer) to `root`.
 *
 * @param root an existing directory (a fresh rootfs, a lower-layer tree, or a mounted overlay).
 * @throws MagikrunError `PATH_ESCAPE` (`..` in names or hard-link targets, a hard link out of the root),
 *   `LIMIT_EXCEEDED` (a file over `maxLayerSize`, name length/depth, xattr size/count, symlinks that expand
 *   past MAX_RESOLVE_STEPS or `maxResolveSteps`, a full disk),
 *   `INVALID_ARGUMENT` (a path that must be a directory is not, a hard link to nothing or to a directory,
 *   a malformed whiteout, a malformed tar), `UNSUPPORTED` (sparse files, unknown entry types, non-UTF-8
 *   names), `ABORTED` (`signal`), `INTERNAL` (a host failure).
 */
export async function applyEntries(root: string, reader: TarReader, options: ApplyOptions): Promise<ApplyStats> {
  const applier = new LayerApplier(root, options);
  await applier.init();
  for (;;) {
    if (options.signal?.aborted) {
      throw err(ErrorCode.Aborted, `unpacking layer ${options.layer} was aborted`, { layer: options.layer }, options.signal.reason);
    }
    const entry = await reader.next();
    if (entry === null) break;
    await applier.apply(entry, reader.body());
  }
  await applier.finish();
  return applier.stats;
}
