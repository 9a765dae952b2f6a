// Defects a new user found in `run --name`, `run --runtime` and `logs | head`: each fails before any
// pull or write with a message that says what to do, or (a closed pipe) ends quietly. The Linux cases
// run busybox on youki and skip only where the platform cannot run Linux containers.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

/** Every file and directory under `dir` (none: []). */
const contents = (dir: string): Promise<string[]> => readdir(dir, { recursive: true }).then((l) => l.map(String));

describe('run --runtime wasmtime with a Linux image', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir('magikrun-cli-rt-'));
  });
  afterAll(() => cleanup());

  it('says the image is a Linux image and wasmtime runs only WebAssembly images (INVALID_ARGUMENT, 125)', async () => {
    const r = await runCli(['run', '-q', '--runtime', 'wasmtime', `oci:${images.layout}:linux`, 'true'], { root });
    expect(r.stderr).toMatch(/is a Linux image \(linux\/\w+\) with no WebAssembly module, and runtime wasmtime runs only WebAssembly images/);
    expect(r.stderr).not.toMatch(/no runtime for Linux containers/);
    expect(r.stderr).toMatch(/\[INVALID_ARGUMENT\]\n$/);
    expect(r.code).toBe(125);
  });
});

describe.runIf(linux)('run --name checks and logs into a closed pipe (youki)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const made: string[] = [];
  const name = (tag: string): string => {
    const id = `mk-cli-name-${process.pid}-${tag}`;
    made.push(id);
    return id;
  };
  const busybox = () => images.refs.busybox;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-name-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    await mkdir(root);
  });
  afterAll(async () => {
    if (made.length > 0) await runCli(['rm', '-f', ...made], { root });
    await cleanup();
  });

  it('refuses a name too long for a directory name (255 bytes, less the bundle staging affixes) with INVALID_ARGUMENT (125) before pulling or writing anything', async () => {
    const long = 'a'.repeat(300);
    const r = await runCli(['run', '-q', '-d', '--name', long, busybox(), 'true'], { root });
    expect(r.stderr).toMatch(/container name is 300 characters long; use at most 237 .*at most 255 bytes.*\[INVALID_ARGUMENT\]/);
    expect(r.stderr).not.toMatch(/ENAMETOOLONG/);
    expect(r.code).toBe(125);
    expect(await contents(root)).toEqual([]);
    const over = await runCli(['run', '-q', '--name', 'a'.repeat(238), busybox(), 'true'], { root });
    expect(over.stderr).toMatch(/238 characters long; use at most 237 .*\[INVALID_ARGUMENT\]/);
    expect(over.code).toBe(125);
    expect(await contents(root)).toEqual([]);
    // 237 characters is a name that works end to end.
    const max = name('x'.repeat(237 - `mk-cli-name-${process.pid}-`.length));
    const ok = await runCli(['run', '-q', '--name', max, busybox(), 'true'], { root });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(await leftovers(max, root)).toEqual([]);
  });

  it('run -d --name of a name in use says so (ALREADY_EXISTS, 125) and leaves the first container running', async () => {
    const id = name('dup');
    const first = await runCli(['run', '-q', '-d', '--name', id, busybox(), 'sh', '-c', 'echo first; exec sleep 3600'], { root });
    expect(first.code).toBe(0);
    const second = await runCli(['run', '-q', '-d', '--name', id, busybox(), 'true'], { root });
    expect(second.stderr).toBe(`magikrun: container name "${id}" is already in use (magikrun rm ${id} to remove it) [ALREADY_EXISTS]\n`);
    expect(second.stdout).toBe('');
    expect(second.code).toBe(125);
    const ps = await runCli(['ps', '--json'], { root });
    expect((JSON.parse(ps.stdout) as { id: string; status: string }[]).find((c) => c.id === id)).toMatchObject({ status: 'running' });
    let logs = await runCli(['logs', id], { root });
    for (let i = 0; i < 50 && logs.stdout === ''; i++) logs = await runCli(['logs', id], { root });
    expect(logs.stdout).toBe('first\n');
    expect((await runCli(['rm', '-f', id], { root })).code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('logs into a pipe its reader closed (| head) ends quietly with 0', async () => {
    const id = name('big');
    const started = await runCli(['run', '-q', '-d', '--name', id, busybox(), 'seq', '1', '300000'], { root });
    expect(started.code).toBe(0);
    // Wait for the container to stop, so the whole log is there to write.
    let status = '';
    for (let i = 0; i < 300 && status !== 'stopped'; i++) {
      const ps = await runCli(['ps', '-a', '--json'], { root });
      status = (JSON.parse(ps.stdout) as { id: string; status: string }[]).find((c) => c.id === id)?.status ?? '';
    }
    expect(status).toBe('stopped');
    const whole = await runCli(['logs', id], { root });
    expect(whole.stdout.length).toBeGreaterThan(1_000_000);
    const r = await runCli(['logs', id], { root, closeStdoutAfter: 1 });
    expect(r.stdout.startsWith('1\n')).toBe(true);
    expect(r.stdout.length).toBeLessThan(whole.stdout.length);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await runCli(['rm', id], { root })).code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });
});
