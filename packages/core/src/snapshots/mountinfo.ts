/**
 * What is mounted where: `/proc/self/mountinfo` (proc(5)), read before a snapshot directory is removed so
 * that a removal never descends into a live mount, and to find the mounts that still use a snapshot.
 *
 * @module snapshots/mountinfo
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One line of mountinfo. */
export interface MountInfo {
  /** `major:minor` of the mounted filesystem. */
  device: string;
  /** The directory of that filesystem that is mounted (`/` unless a bind mount of a subdirectory). */
  root: string;
  /** Where it is mounted (absolute, unescaped). */
  mountPoint: string;
  fsType: string;
  source: string;
  /** Per-superblock options, e.g. overlay's `lowerdir=…,upperdir=…,workdir=…`. */
  superOptions: string;
}

/** mountinfo escapes space, tab, newline and backslash as `\ooo`. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse mountinfo text (exported for tests). */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({
      device: f[2]!,
      root: unescape(f[3]!),
      mountPoint: unescape(f[4]!),
      fsType: f[sep + 1]!,
      source: unescape(f[sep + 2]!),
      superOptions: f[sep + 3] ?? '',
    });
  }
  return out;
}

/** The mounts of this process's mount namespace; `[]` where there is no /proc (not Linux). */
export async function readMountInfo(): Promise<MountInfo[]> {
  try {
    return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}

/** `major:minor` of a Linux dev_t, as mountinfo prints it (glibc's gnu_dev_major/minor). */
export function deviceString(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

function isAtOrUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/**
 * Mounts that use `dir` (an absolute, symlink-free path) or anything below it: mounted on it, overlay
 * mounts naming it (or a directory under it) as lowerdir, upperdir or workdir, and bind mounts of it.
 * Relative overlay paths (from mounts made with another working directory) are not recognised.
 */
export async function mountsUsing(dir: string, mounts?: MountInfo[]): Promise<MountInfo[]> {
  const all = mounts ?? (await readMountInfo());
  if (all.length === 0) return [];
  // Where `dir` lies inside its own filesystem, to recognise bind mounts of it by device + root.
  let bind: { device: string; root: string } | undefined;
  try {
    const device = deviceString((await stat(dir, { bigint: true })).dev);
    const host = all.filter((m) => isAtOrUnder(dir, m.mountPoint)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    if (host) bind = { device, root: path.posix.join(host.root, path.relative(host.mountPoint, dir)) };
  } catch {
    // gone: only mount points under it and overlay options can still name it
  }
  return all.filter((m) => {
    if (isAtOrUnder(m.mountPoint, dir)) return true;
    if (m.fsType === 'overlay') {
      for (const opt of m.superOptions.split(',')) {
        const eq = opt.indexOf('=');
        const key = opt.slice(0, eq);
        if (key !== 'lowerdir' && key !== 'upperdir' && key !== 'workdir') continue;
        for (const p of opt.slice(eq + 1).split(/(?<!\\):/)) if (isAtOrUnder(p.replace(/\\:/g, ':'), dir)) return true;
      }
    }
    return bind !== undefined && m.device === bind.device && isAtOrUnder(m.root, bind.root);
  });
}
