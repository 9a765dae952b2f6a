/**
 * Support for the Linux-container CLI tests: what a container can leave behind on the host, looked up
 * by its id — processes in its cgroups, cgroup directories, mounts of its bundle or snapshot, its state
 * directory, bundle and snapshot.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The youki runtime's default state root (root). */
export const YOUKI_STATE_ROOT = '/run/magikrun/youki';

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Cgroup directories named `id` up to two levels below each v1 controller and the unified hierarchy. */
async function cgroupDirs(id: string): Promise<string[]> {
  const found: string[] = [];
  const base = '/sys/fs/cgroup';
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === id) found.push(p);
      else if (depth > 0) await walk(p, depth - 1);
    }
  };
  for (const ctrl of await readdir(base).catch(() => [] as string[])) await walk(join(base, ctrl), 2);
  return found;
}

/** Pids whose /proc/<pid>/cgroup names a cgroup path component `id`. */
async function processesIn(id: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const text = await readFile(`/proc/${name}/cgroup`, 'utf8').catch(() => '');
    if (text.split('\n').some((l) => l.split(':')[2]?.split('/').includes(id))) out.push(Number(name));
  }
  return out;
}

/** Pids of youki monitors (`magikrun-youki-monitor`) whose command line names container `id`. */
async function monitorsOf(id: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('magikrun-youki-monitor') && cmd.includes(`"id":${JSON.stringify(id)}`)) out.push(Number(name));
  }
  return out;
}

/**
 * Everything of container `id` still on the host; `[]` when it left nothing: processes in its cgroups,
 * its monitor, cgroup directories, mounts of its bundle, staging directories or snapshots, its state
 * directory, bundle, staging directories, claim and active snapshot.
 *
 * @param root the CLI's data root (for `<root>/bundles/<id>` and the snapshot's mounts)
 */
export async function leftovers(id: string, root: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await processesIn(id)) out.push(`process ${pid}`);
  for (const pid of await monitorsOf(id)) out.push(`monitor ${pid}`);
  for (const dir of await cgroupDirs(id)) out.push(`cgroup ${dir}`);
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    if (line.includes(`/bundles/${id}/`) || line.includes(`/bundles/.tmp-${id}-`) || line.includes(join(root, 'snapshots'))) out.push(`mount ${line}`);
  }
  if (await exists(join(YOUKI_STATE_ROOT, id))) out.push(`state ${join(YOUKI_STATE_ROOT, id)}`);
  if (await exists(join(root, 'bundles', id))) out.push(`bundle ${join(root, 'bundles', id)}`);
  for (const n of await readdir(join(root, 'bundles')).catch(() => [] as string[])) if (n.startsWith(`.tmp-${id}-`)) out.push(`staging ${join(root, 'bundles', n)}`);
  if (await exists(join(root, 'claims', `${id}.lock`))) out.push(`claim ${join(root, 'claims', `${id}.lock`)}`);
  const metadata = await readFile(join(root, 'snapshots', 'metadata.json'), 'utf8').catch(() => undefined);
  if (metadata && (JSON.parse(metadata) as { active?: Record<string, unknown> }).active?.[id]) out.push(`snapshot ${id}`);
  return out;
}

/** The zombie children of `pid` (none may stay after a container is removed). */
export async function zombiesOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' && Number(fields[1]) === pid) out.push(Number(name));
  }
  return out;
}
