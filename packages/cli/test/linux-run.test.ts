// `magikrun run` of Linux containers end to end: the busybox test image (Debian's busybox-static built
// by umoci, pushed by skopeo to docker-registry on 127.0.0.1), run by the built CLI in a child process
// on the youki runtime, chosen automatically for a Linux image. Skips only where the platform cannot
// run Linux containers (MAGIKRUN_REQUIRE turns that into a failure).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canRun, Capability, Platform } from '@magikrun/core';
import { runCli, tempDir } from './support.js';
import { leftovers } from './linux-support.js';

const images = inject('images');
const platform = await Platform.detect();
const linux = canRun(platform, [Capability.Namespaces, Capability.Cgroups, Capability.Seccomp]);

describe.runIf(linux)('magikrun run (Linux containers on youki)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  const made: string[] = [];
  const name = () => {
    const id = `mk-cli-${process.pid}-${++n}`;
    made.push(id);
    return id;
  };
  const busybox = () => images.refs.busybox;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-linux-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    await mkdir(root);
    // Pull once, so that the runs below measure nothing of the pull and print no progress.
    expect((await runCli(['pull', '-q', busybox()], { root })).code).toBe(0);
  });
  afterAll(async () => {
    // A failed test must not leave its containers behind (rm -f of a removed id just says so).
    await runCli(['rm', '-f', ...made], { root });
    await cleanup();
  });

  it('runs busybox with --env, --workdir and --user on youki, chosen for the Linux image, and leaves nothing', async () => {
    const id = name();
    const r = await runCli(
      ['run', '-q', '--name', id, '--env', 'GREETING=hello from --env', '--workdir', '/tmp', '--user', 'app', busybox(), 'sh', '-c', 'echo "$GREETING / $IMAGE_VAR"; pwd; id -u; id -g; id -un'],
      { root },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from --env / from-image\n/tmp\n1000\n1000\napp\n');
    expect(r.code).toBe(0);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it("uses the image's Cmd, WorkingDir and root user when no flags are given", async () => {
    const r = await runCli(['run', '-q', busybox(), 'sh', '-c', 'pwd; id -u'], { root });
    expect(r.stdout).toBe('/home/app\n0\n');
    expect(r.code).toBe(0);
  });

  it('exits with the container\'s code: 0 and 3', async () => {
    expect((await runCli(['run', '-q', busybox(), 'true'], { root })).code).toBe(0);
    const three = await runCli(['run', '-q', busybox(), 'sh', '-c', 'exit 3'], { root });
    expect(three.code).toBe(3);
    expect(three.stderr).toBe('');
  });

  it('keeps stdout and stderr apart', async () => {
    const r = await runCli(['run', '-q', busybox(), 'sh', '-c', 'echo to-stdout; echo to-stderr >&2; echo more-stdout'], { root });
    expect(r.stdout).toBe('to-stdout\nmore-stdout\n');
    expect(r.stderr).toBe('to-stderr\n');
    expect(r.code).toBe(0);
  });

  it('forwards SIGINT to the container (its trap runs and sets the exit code), leaving nothing', async () => {
    const id = name();
    const child = runCli(['run', '-q', '--name', id, busybox(), 'sh', '-c', 'trap "echo got INT; exit 7" INT; echo ready; while :; do sleep 0.1; done'], { root });
    await child.stdoutContains('ready');
    process.kill(child.pid, 'SIGINT');
    const r = await child;
    expect(r.stdout).toBe('ready\ngot INT\n');
    expect(r.code).toBe(7);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('exits 137 when a second signal ends a container that ignored the first (SIGKILL)', async () => {
    const id = name();
    // `sleep` as the container's init: the kernel drops SIGTERM to a namespace's init without a handler.
    // Two different signals, since a second SIGINT sent at once may merge with the first while pending.
    const child = runCli(['run', '-q', '--name', id, busybox(), 'sh', '-c', 'echo ready; exec sleep 3600'], { root });
    await child.stdoutContains('ready');
    process.kill(child.pid, 'SIGTERM');
    process.kill(child.pid, 'SIGINT');
    const r = await child;
    expect(r.code).toBe(137);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('--memory ends a container that outgrows it with 137 and says it was the out-of-memory killer', async () => {
    const id = name();
    // busybox tail keeps its last "line" of /dev/zero (no newline ever comes) in memory.
    const r = await runCli(['run', '-q', '--name', id, '--memory', '16mb', busybox(), 'tail', '/dev/zero'], { root });
    expect(r.code).toBe(137);
    expect(r.stderr).toMatch(/out-of-memory/);
    expect(await leftovers(id, root)).toEqual([]);
  });

  it('--pids-limit stops a fork bomb (fork fails inside; without the limit all 60 start)', async () => {
    const bomb = 'n=0; while [ $n -lt 60 ]; do sleep 30 & n=$((n+1)); done; echo started=$n';
    const limited = await runCli(['run', '-q', '--pids-limit', '20', busybox(), 'sh', '-c', bomb], { root });
    expect(limited.stderr).toMatch(/can't fork/);
    expect(limited.stdout).not.toMatch(/started=60/);
    expect(limited.code).not.toBe(0);
    const free = await runCli(['run', '-q', busybox(), 'sh', '-c', bomb], { root });
    expect(free.stdout).toBe('started=60\n');
    expect(free.code).toBe(0);
  });

  it('--cpus writes a CFS quota the container sees in its cgroup', async () => {
    const r = await runCli(['run', '-q', '--cpus', '0.5', busybox(), 'sh', '-c', 'cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us'], { root });
    expect(r.stdout.trim()).toBe('50000');
    expect(r.code).toBe(0);
  });

  it('--network none leaves only loopback; --network host shows the host\'s interfaces', async () => {
    const ifaces = "sed -n '3,$p' /proc/net/dev | cut -d: -f1 | tr -d ' '";
    const none = await runCli(['run', '-q', busybox(), 'sh', '-c', ifaces], { root });
    expect(none.stdout).toBe('lo\n');
    const host = await runCli(['run', '-q', '--network', 'host', busybox(), 'sh', '-c', ifaces], { root });
    const hostIfaces = (await import('node:os')).networkInterfaces();
    for (const name of Object.keys(hostIfaces)) expect(host.stdout.split('\n')).toContain(name);
  });

  it('refuses wasm-only flags for a Linux image and Linux-only flags for a wasm image (125, UNSUPPORTED)', async () => {
    const fuel = await runCli(['run', '-q', '--fuel', '1000', busybox(), 'true'], { root });
    expect(fuel.code).toBe(125);
    expect(fuel.stderr).toMatch(/--fuel applies to WebAssembly containers.*UNSUPPORTED/);
    const pids = await runCli(['run', '-q', '--pids-limit', '5', images.refs.hello], { root });
    expect(pids.code).toBe(125);
    expect(pids.stderr).toMatch(/--pids-limit applies to Linux containers.*UNSUPPORTED/);
  });

  it('exits 127 when the command is not in the image and 126 when it cannot be run, leaving nothing', async () => {
    for (const [program, code, message] of [
      ['/no/such/program', 127, /\/no\/such\/program does not exist in the image.*NOT_FOUND/],
      ['no-such-applet', 127, /no-such-applet was not found in the image's PATH/],
      ['/etc/passwd', 126, /\/etc\/passwd cannot be run: it is not executable/],
      ['/home', 126, /\/home cannot be run: it is not a regular file/],
    ] as const) {
      const id = name();
      const r = await runCli(['run', '-q', '--name', id, busybox(), program], { root });
      expect(r.stderr).toMatch(message);
      expect(r.code, program).toBe(code);
      expect(await leftovers(id, root)).toEqual([]);
    }
  });

  it('fails with 125 and leaves nothing for a user the image lacks', async () => {
    const id = name();
    const r = await runCli(['run', '-q', '--name', id, '--user', 'ghost', busybox(), 'true'], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/ghost/);
    expect(await leftovers(id, root)).toEqual([]);
  });
});
