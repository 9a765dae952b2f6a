// Flags that must mean what they mean to docker (issue 9): sizes with docker's units (`-m 64m` is 64 MiB,
// not 64 bytes), durations where a bare number is seconds, `run -h NAME` as --hostname, one line for a
// usage error. Through the built CLI, on the busybox image (youki) and the hello wasm image (wasmtime).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);
const MiB = 1024 * 1024;

describe('flags as docker reads them', () => {
  let work: string;
  let root: string;
  let cleanup: () => Promise<void>;
  let n = 0;

  beforeAll(async () => {
    ({ dir: work, cleanup } = await tempDir('magikrun-cli-flags-'));
    root = join(work, 'root');
    expect((await runCli(['pull', '-q', images.refs.busybox], { root })).code).toBe(0);
    expect((await runCli(['pull', '-q', images.refs.hello], { root })).code).toBe(0);
  });
  afterAll(async () => {
    await cleanup();
  });

  const memoryLimitOf = async (flags: string[]): Promise<number> => {
    const dir = join(work, `bundle-${++n}`);
    const r = await runCli(['bundle', '-q', ...flags, images.refs.busybox, dir, 'true'], { root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { linux: { resources?: { memory?: { limit?: number } } } };
    return config.linux.resources?.memory?.limit as number;
  };

  it.each([
    [['--memory', '64m'], 64 * MiB],
    [['--memory', '1g'], 1024 * MiB],
    [['--memory', '512MiB'], 512 * MiB],
    [['--memory', '64mb'], 64 * MiB],
    [['-m', '96M'], 96 * MiB],
    [['--memory', '7000000m'], 7_000_000 * MiB],
  ])('bundle %j writes a memory limit of %d bytes', async (flags, bytes) => {
    expect(await memoryLimitOf(flags)).toBe(bytes);
  });

  it.each(['64x', '1e9', '64 mb b', '-5m', '0'])('--memory %j is refused with one line and 125, before anything is written', async (value) => {
    const dir = join(work, `refused-${++n}`);
    const r = await runCli(['bundle', '-q', '--memory', value, images.refs.busybox, dir], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^magikrun: --memory .*expected a positive size such as 64m.* \[INVALID_ARGUMENT\]\n$/);
  });

  it('an unknown option is one line naming the command\'s help, exit 125', async () => {
    const r = await runCli(['run', '--no-such-flag', images.refs.hello], { root });
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("magikrun: unknown option '--no-such-flag' (see 'magikrun run --help')\n");
    const top = await runCli(['--bogus'], { root });
    expect(top.code).toBe(125);
    expect(top.stderr).toBe("magikrun: unknown option '--bogus' (see 'magikrun --help')\n");
  });

  it('--timeout: a bare number is seconds; Go durations such as 1m30s are taken', async () => {
    const oneSecond = await runCli(['run', '-q', '--timeout', '1', images.refs.hello, '--sleep=3600'], { root });
    expect(oneSecond.stderr).toMatch(/timed-out.*the wall-clock limit of 1000 ms was reached/);
    expect(oneSecond.code).toBe(124);
    const half = await runCli(['run', '-q', '--timeout', '0.3', images.refs.hello, '--sleep=3600'], { root });
    expect(half.stderr).toMatch(/the wall-clock limit of 300 ms was reached/);
    const compound = await runCli(['run', '-q', '--timeout', '1m30s', images.refs.hello, 'compound'], { root });
    expect(compound.stderr).not.toMatch(/INVALID_ARGUMENT/);
    expect(compound.code).toBe(0);
    const refused = await runCli(['run', '-q', '--timeout', '5 s', images.refs.hello], { root });
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/^magikrun: --timeout "5 s": expected a duration/);
  });

  it('--connect-timeout takes seconds and durations too', async () => {
    const r = await runCli(['pull', '-q', '--connect-timeout', '10', '--idle-timeout', '1m', images.refs.hello], { root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  describe.runIf(linux)('Linux containers', () => {
    it('run -m 64m sets a 64 MiB cgroup limit (was 64 bytes)', async () => {
      const file = platform.capabilities.cgroups.mode === 'v2' ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
      const r = await runCli(['run', '-q', '-m', '64m', images.refs.busybox, 'cat', file], { root });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${64 * MiB}\n`);
      expect(r.code).toBe(0);
    });

    it('run -h NAME sets the hostname (docker\'s -h), and --help still prints help', async () => {
      const r = await runCli(['run', '-q', '-h', 'myhost', images.refs.busybox, 'hostname'], { root });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('myhost\n');
      expect(r.code).toBe(0);
      const help = await runCli(['run', '--help'], { root });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/-h, --hostname <name>/);
    });
  });
});
