/**
 * A root filesystem described entry by entry, for comparing unpacked trees (ours against umoci's,
 * an overlay view against a plain unpack): names, types, modes, owners, link targets, content hashes,
 * device numbers, mtimes, hard link groups and (with getfattr from Debian's `attr`) xattrs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface TreeEntry {
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files: bytes and sha256 of the content. */
  size?: number;
  sha256?: string;
  /** Symlinks: the target as stored. */
  link?: string;
  /** Devices: `major:minor`. */
  rdev?: string;
  /** Whole seconds. */
  mtime: number;
  /** The hard link group (other paths with the same inode), sorted, when there are others. */
  links?: string[];
  /** name → hex value, when xattrs were read. */
  xattrs?: Record<string, string>;
}

/** Path (relative, `.` for the root) → entry. */
export type Tree = Map<string, TreeEntry>;

function typeOf(st: Awaited<ReturnType<typeof lstat>>): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

function dev(rdev: number): string {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * Describe the tree under `root` (never following symlinks).
 * @param options.xattrs read xattrs with `getfattr` (must be installed: apt-get install attr).
 */
export async function readTree(root: string, options: { xattrs?: boolean } = {}): Promise<Tree> {
  const tree: Tree = new Map();
  const inodes = new Map<number, string[]>();
  const visit = async (rel: string): Promise<void> => {
    const abs = rel === '.' ? root : path.join(root, rel);
    const st = await lstat(abs);
    const type = typeOf(st);
    const e: TreeEntry = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (type === 'file') {
      e.size = st.size;
      e.sha256 = await sha256File(abs);
    }
    if (type === 'symlink') e.link = await readlink(abs);
    if (type === 'char' || type === 'block') e.rdev = dev(st.rdev);
    if (type !== 'dir') {
      const group = inodes.get(st.ino) ?? [];
      group.push(rel);
      inodes.set(st.ino, group);
    }
    tree.set(rel, e);
    if (type === 'dir') {
      for (const name of (await readdir(abs)).sort()) await visit(rel === '.' ? name : `${rel}/${name}`);
    }
  };
  await visit('.');
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    const sorted = [...group].sort();
    for (const p of group) tree.get(p)!.links = sorted;
  }
  if (options.xattrs) {
    for (const [p, x] of await readXattrs(root)) {
      const e = tree.get(p);
      if (e) e.xattrs = x;
    }
  }
  return tree;
}

/** Every xattr under `root` (getfattr -R -P -h -d -m - -e hex), by relative path. */
export async function readXattrs(root: string): Promise<Map<string, Record<string, string>>> {
  const { stdout } = await promisify(execFile)('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = line.slice('# file: '.length).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      const rel = path.relative(root, abs) || '.';
      current = {};
      out.set(rel, current);
    } else if (current && line.includes('=')) {
      const i = line.indexOf('=');
      current[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

/** One difference between two trees. */
export interface TreeDifference {
  path: string;
  field: keyof TreeEntry | 'presence';
  a: unknown;
  b: unknown;
}

const FIELDS: (keyof TreeEntry)[] = ['type', 'mode', 'uid', 'gid', 'size', 'sha256', 'link', 'rdev', 'mtime', 'links', 'xattrs'];

/**
 * Compare two trees field by field.
 * @param ignore return true to ignore a difference (a documented, explained one).
 */
export function diffTrees(a: Tree, b: Tree, ignore: (d: TreeDifference) => boolean = () => false): TreeDifference[] {
  const out: TreeDifference[] = [];
  const push = (d: TreeDifference) => {
    if (!ignore(d)) out.push(d);
  };
  for (const [p, ea] of a) {
    const eb = b.get(p);
    if (!eb) {
      push({ path: p, field: 'presence', a: ea.type, b: undefined });
      continue;
    }
    for (const f of FIELDS) {
      const va = JSON.stringify(ea[f]);
      const vb = JSON.stringify(eb[f]);
      if (va !== vb) push({ path: p, field: f, a: ea[f], b: eb[f] });
    }
  }
  for (const [p, eb] of b) if (!a.has(p)) push({ path: p, field: 'presence', a: undefined, b: eb.type });
  return out;
}

/** Differences as lines for a test failure message (at most `max`). */
export function formatDifferences(diffs: TreeDifference[], max = 40): string {
  const lines = diffs.slice(0, max).map((d) => `${d.path}: ${d.field} ${JSON.stringify(d.a)} ≠ ${JSON.stringify(d.b)}`);
  if (diffs.length > max) lines.push(`… and ${diffs.length - max} more`);
  return lines.join('\n');
}
