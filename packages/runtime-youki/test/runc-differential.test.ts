// Differential test: the same OCI bundle — written by `magikrun bundle` from the busybox test image
// (Debian's busybox-static, built by umoci: the package's globalSetup provides the layout) — run by Debian's `runc run` and by YoukiRuntime must give
// the same stdout, stderr and exit code. Each program looks at a different part of the container:
// environment, user, exit codes, signal deaths, the process's privileges (no_new_privs, seccomp mode,
// capability sets), /dev, limits and the like. Skips only where the platform cannot run Linux
// containers (MAGIKRUN_REQUIRE turns that into a failure); a missing runc or CLI build fails.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import type { OciBundle } from '@magikrun/core';
import { YoukiRuntime } from '../src/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(repo, 'packages/cli/dist/bin.js');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

interface Outcome {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** `runc --root STATE run --bundle DIR ID`, stdin closed. */
function runc(bundle: string, state: string, id: string): Promise<Outcome> {
  const child = spawn('runc', ['--root', state, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      spawnSync('runc', ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
      resolve({ stdout, stderr, code });
    });
  });
}

describe.runIf(linux)('runc differential: one bundle, Debian runc vs YoukiRuntime', () => {
  let work: string;
  let layout: string;
  let runtime: YoukiRuntime;
  let n = 0;

  beforeAll(async () => {
    if (spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('runc not found: apt-get install runc');
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (pnpm --filter @magikrun/cli build)`);
    work = await mkdtemp(join(tmpdir(), 'magikrun-youki-diff-'));
    layout = inject('youkiLayout');
    runtime = new YoukiRuntime({ stateRoot: join(work, 'youki-state') });
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `magikrun bundle [flags] busybox DIR args…`, then an optional edit of config.json. */
  async function bundle(flags: string[], args: string[], edit?: (config: Record<string, any>) => void): Promise<string> {
    const dir = join(work, `b${++n}`);
    execFileSync(process.execPath, [CLI, '--root', join(work, 'root'), 'bundle', '-q', ...flags, `oci:${layout}:busybox`, dir, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (edit) {
      const file = join(dir, 'config.json');
      const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
      edit(config);
      await writeFile(file, JSON.stringify(config));
    }
    return dir;
  }

  async function youki(dir: string, id: string): Promise<Outcome> {
    const out = join(work, `${id}.out`);
    const errFile = join(work, `${id}.err`);
    const b: OciBundle = { kind: 'oci', path: dir, rootfs: join(dir, 'rootfs') };
    await runtime.create(id, b, { stdio: { stdin: 'ignore', stdout: { path: out }, stderr: { path: errFile } } });
    try {
      await runtime.start(id);
      const status = await runtime.wait(id);
      return { stdout: await readFile(out, 'utf8'), stderr: await readFile(errFile, 'utf8'), code: status.code };
    } finally {
      await runtime.delete(id, { force: true });
    }
  }

  /** Run `args` in one bundle under both runtimes; both outcomes must be equal (and are returned). */
  async function compare(flags: string[], args: string[], edit?: (config: Record<string, any>) => void): Promise<Outcome> {
    const dir = await bundle(flags, args, edit);
    const id = `diff-${process.pid}-${n}`;
    const byRunc = await runc(dir, join(work, 'runc-state'), `${id}-runc`);
    const byYouki = await youki(dir, `${id}-youki`);
    expect(byYouki).toEqual(byRunc);
    return byYouki;
  }

  it('environment: image Env, --env, PATH, HOME, HOSTNAME as the shell sees them', async () => {
    const r = await compare(['--env', 'GREETING=hello'], ['sh', '-c', 'env | sort']);
    expect(r.stdout).toMatch(/^GREETING=hello$/m);
    expect(r.stdout).toMatch(/^IMAGE_VAR=from-image$/m);
    expect(r.code).toBe(0);
  });

  it('user and groups: root by default; --user app (1000, supplementary group users)', async () => {
    expect((await compare([], ['id'])).stdout).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
    expect((await compare(['--user', 'app'], ['id'])).stdout).toMatch(/^uid=1000\(app\) gid=1000\(app\)/);
  });

  it('exit code 3 with output on both streams', async () => {
    const r = await compare([], ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3']);
    expect(r).toEqual({ stdout: 'to-stdout\n', stderr: 'to-stderr\n', code: 3 });
  });

  it('a process that kills itself with SIGTERM: 143 (bundle without a pid namespace, where it is not init)', async () => {
    // In its own pid namespace the process would be init, and the kernel drops SIGTERM sent to an
    // init that has no handler; so this one bundle shares the host's pid namespace.
    const r = await compare([], ['sh', '-c', 'echo before; kill -TERM $$; echo after'], (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((ns: { type: string }) => ns.type !== 'pid');
    });
    expect(r).toEqual({ stdout: 'before\n', stderr: '', code: 143 });
  });

  it('privileges: NoNewPrivs, Seccomp mode and filters, capability sets in /proc/self/status', async () => {
    const r = await compare([], ['grep', '-E', '^(NoNewPrivs|Seccomp|Seccomp_filters|CapInh|CapPrm|CapEff|CapBnd|CapAmb):', '/proc/self/status']);
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toMatch(/^CapEff:\s+00000000a80425fb$/m);
  });

  it('privileges of an unprivileged user: capability sets empty but the bounding set', async () => {
    await compare(['--user', 'app'], ['grep', '-E', '^(NoNewPrivs|Seccomp|Cap[A-Za-z]+):', '/proc/self/status']);
  });

  it('/dev: the same nodes with the same types, modes, owners and device numbers', async () => {
    const r = await compare([], ['sh', '-c', "cd /dev && ls -1 && stat -c '%n %F %a %u:%g %t:%T' * | sort"]);
    expect(r.stdout).toMatch(/^null character special file 666 0:0 1:3$/m);
    expect(r.stdout).not.toMatch(/image-null/);
  });

  it('limits and identity: open files, umask, working directory, hostname, network interfaces', async () => {
    await compare([], ['sh', '-c', "ulimit -n; umask; pwd; hostname; sed -n '3,$p' /proc/net/dev | cut -d: -f1 | tr -d ' '"]);
  });

  it('mounts: the same mount points with the same filesystem types, in the same order', async () => {
    const r = await compare([], ['cut', '-d', ' ', '-f', '2,3', '/proc/mounts']);
    expect(r.stdout).toMatch(/^\/proc proc$/m);
  });

  it('a program that is not in the image', async () => {
    const dir = await bundle([], ['/no/such/program']);
    const byRunc = await runc(dir, join(work, 'runc-state'), `missing-${process.pid}`);
    expect(byRunc.code).not.toBe(0);
    // Both refuse to run it; YoukiRuntime says so as an error at create (libcontainer checks the
    // executable before it clones), runc in its own exit status.
    await expect(youki(dir, `missing-youki-${process.pid}`)).rejects.toThrow(/no\/such\/program/);
  });
});
