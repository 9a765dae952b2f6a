/**
 * Test fixtures: the busybox image (built by umoci in globalSetup), OCI bundles made from it by
 * core's BundleBuilder, cheap per-container clones of a bundle through an overlay rootfs mount
 * (`OciBundle.rootfsMounts`, as a snapshotter hands them over), host checks and leak probes.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { BlobStore, BundleBuilder, canRun, Platform, pullImage, type OciBundle, type PulledImage } from '@magikrun/core';
import type { OciBuildOptions } from '@magikrun/core';
import { missingForYouki } from '../host-check.js';

declare module 'vitest' {
  export interface ProvidedContext {
    youkiLayout: string;
  }
}

/** True when this host can run youki containers; throws when MAGIKRUN_REQUIRE demands what is missing. */
export async function youkiHostReady(): Promise<boolean> {
  const platform = await Platform.detect();
  const capable = canRun(platform, ['namespaces', 'cgroups']);
  return capable && missingForYouki(platform).length === 0;
}

/** A scratch area for one test file: a store holding the busybox image, bundles, a state root. */
export interface Workspace {
  dir: string;
  stateRoot: string;
  image: PulledImage;
  store: BlobStore;
  /** A bundle built by BundleBuilder (kind 'oci') from busybox with these options. */
  build(options: OciBuildOptions): Promise<OciBundle>;
  /**
   * A per-container clone of `base`: its own bundle directory whose config.json is base's with
   * `edit` applied and `root.path` pointing at an empty `rootfs/` that an overlay mount (lower: base's
   * rootfs, upper: this clone's `upper/`) assembles at create. `files` are written into `upper/` first.
   */
  clone(base: OciBundle, edit: (config: OciConfig) => void, files?: Record<string, string>): Promise<OciBundle>;
  cleanup(): Promise<void>;
}

/** The parts of config.json the tests edit. */
export interface OciConfig {
  process: { args: string[]; env?: string[]; cwd: string; user: { uid: number; gid: number }; terminal?: boolean };
  root: { path: string; readonly?: boolean };
  linux: { resources?: Record<string, unknown>; [k: string]: unknown };
  [k: string]: unknown;
}

let counter = 0;

export async function workspace(name: string): Promise<Workspace> {
  const dir = await mkdtemp(path.join(tmpdir(), `magikrun-youki-${name}-`));
  const stateRoot = path.join(dir, 'state');
  const store = await BlobStore.open({ root: path.join(dir, 'store') });
  const image = await pullImage(`oci:${inject('youkiLayout')}:busybox`, store);
  const clones = path.join(dir, 'clones');
  await mkdir(clones, { recursive: true });
  return {
    dir,
    stateRoot,
    image,
    store,
    build: (options) => new BundleBuilder({ root: path.join(dir, 'store') }).image(image).storage(store).build({ kind: 'oci', ...options }),
    async clone(base, edit, files = {}) {
      const cdir = path.join(clones, `c${++counter}`);
      const upper = path.join(cdir, 'upper');
      const work = path.join(cdir, 'work');
      const rootfs = path.join(cdir, 'rootfs');
      for (const d of [upper, work, rootfs]) await mkdir(d, { recursive: true });
      for (const [rel, text] of Object.entries(files)) await writeFile(path.join(upper, rel), text);
      const config = JSON.parse(await readFile(path.join(base.path, 'config.json'), 'utf8')) as OciConfig;
      config.root = { ...config.root, path: rootfs };
      edit(config);
      await writeFile(path.join(cdir, 'config.json'), JSON.stringify(config));
      return {
        kind: 'oci',
        path: cdir,
        rootfs,
        rootfsMounts: [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${base.rootfs}`, `upperdir=${upper}`, `workdir=${work}`] }],
        ...(base.stopSignal ? { stopSignal: base.stopSignal } : {}),
      };
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `sh -c SCRIPT` as the process args. */
export function sh(script: string, ...args: string[]): string[] {
  return ['/bin/sh', '-c', script, 'sh', ...args];
}

/** A shell that sleeps until SIGTERM (it is pid 1 of its namespace, so it needs a handler) or SIGKILL. */
export const SLEEP_SCRIPT = 'trap "exit 143" TERM; while :; do sleep 3600 & wait $!; done';

/** Directories under `/sys/fs/cgroup/<controller>/` (one level) whose name mentions `needle`. */
export async function cgroupDirsMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  const base = '/sys/fs/cgroup';
  for (const ctrl of await readdir(base).catch(() => [] as string[])) {
    const entries = await readdir(path.join(base, ctrl)).catch(() => [] as string[]);
    for (const e of entries) if (e.includes(needle)) found.push(path.join(base, ctrl, e));
  }
  return found;
}

/** Mount points in this process's mount namespace under `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(dir + '/'));
}

/** Processes whose command line mentions `needle`, and zombies whose parent is `parent`. */
export async function processesMentioning(needle: string, parent = process.pid): Promise<{ live: number[]; zombies: number[] }> {
  const live: number[] = [];
  const zombies: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' && Number(fields[1]) === parent) zombies.push(pid);
    else if (cmd.includes(needle) && pid !== process.pid) live.push(pid);
  }
  return { live, zombies };
}
