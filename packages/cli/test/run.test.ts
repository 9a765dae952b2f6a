// `magikrun run` end to end: images built by clang-16 + umoci, pushed by skopeo to Debian's
// docker-registry on 127.0.0.1, pulled and run on wasmtime by the built CLI in a child process.
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './support.js';

const images = inject('images');
/** A host where the Linux runtime does not load (its binding is pointed at nothing), as on a wasm-only install. */
const NO_LINUX_RUNTIME = { MAGIKRUN_YOUKI_BINDING: '/nonexistent/magikrun-youki.node' };

describe('magikrun run', () => {
  let root: string;
  let data: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-run-');
    cleanup = t.cleanup;
    root = join(t.dir, 'root');
    data = join(t.dir, 'data');
    await mkdir(data);
    await writeFile(join(data, 'note.txt'), 'a file from a mapped directory');
  });
  afterAll(() => cleanup());

  for (const [what, ref] of [
    ['the clang-built image (tar layer holding the module)', () => images.refs.hello],
    ['the hand-written application/wasm layout', () => images.refs.wasm],
  ] as const) {
    it(`runs ${what}: argv, env, mapped file, separate stderr, the program's own exit code`, async () => {
      const r = await runCli(
        ['run', '-q', '--env', 'GREETING=set by --env', '--volume', `${data}:/data:ro`, ref(), 'x', 'y', '--file=/data/note.txt', '--exit=3'],
        { root },
      );
      expect(r.stderr).toContain('hello-wasi: this line goes to stderr');
      expect(r.stdout).not.toContain('this line goes to stderr');
      expect(r.stdout).toContain('hello from a WASI module');
      expect(r.stdout).toContain('argv[1]=x\nargv[2]=y\n');
      expect(r.stdout).toContain('GREETING=set by --env');
      expect(r.stdout).toContain('file /data/note.txt: a file from a mapped directory');
      expect(r.code).toBe(3);
    });
  }

  it('uses the image Cmd when no args are given, and reads a file from the image root', async () => {
    const r = await runCli(['run', '-q', images.refs.hello], { root });
    expect(r.stdout).toContain('argv[1]=world');
    expect(r.stdout).toContain("file /share/hello/message.txt: this file was read from the image's own root filesystem");
    expect(r.code).toBe(0);
  });

  it('runs an OCI image layout with oci:DIR:TAG (no registry)', async () => {
    const r = await runCli(['run', '-q', `oci:${images.layout}:latest`, 'from-layout'], { root });
    expect(r.stdout).toContain('argv[1]=from-layout');
    expect(r.code).toBe(0);
  });

  it('picks the wasm entry of a linux + wasm index when no Linux runtime is usable', async () => {
    const r = await runCli(['run', '-q', images.refs.multi, 'from-index'], { root, env: NO_LINUX_RUNTIME });
    expect(r.stdout).toContain('argv[1]=from-index');
    expect(r.code).toBe(0);
  });

  it('--runtime wasmtime picks the wasm entry of a linux + wasm index on any host', async () => {
    const r = await runCli(['run', '-q', '--runtime', 'wasmtime', images.refs.multi, 'from-index'], { root });
    expect(r.stdout).toContain('argv[1]=from-index');
    expect(r.code).toBe(0);
  });

  it('keeps the compiled-module cache under --root', async () => {
    const entries = await readdir(join(root, 'cache', 'wasmtime'));
    expect(entries.some((e) => e.endsWith('.cwasm'))).toBe(true);
  });

  it('removes the container and its bundle afterwards', async () => {
    const bundles = join(root, 'bundles');
    const entries = await readdir(bundles).catch(() => []);
    expect(entries).toEqual([]);
  });

  it('exits 125 with a NOT_FOUND message for a reference the registry does not have', async () => {
    const r = await runCli(['run', '-q', `${images.registry.host}/nothing/here:latest`], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/NOT_FOUND/);
  });

  it('exits 126 for a WASI preview 2 component (cannot be run) with an UNSUPPORTED message', async () => {
    const r = await runCli(['run', '-q', images.refs.component], { root });
    expect(r.stderr).toMatch(/component/i);
    expect(r.stderr).toMatch(/UNSUPPORTED/);
    expect(r.code).toBe(126);
  });

  it('exits 127 when the entrypoint is not in the image', async () => {
    const r = await runCli(['run', '-q', '--entrypoint', '/no/such.wasm', images.refs.hello], { root });
    expect(r.stderr).toMatch(/no\/such\.wasm/);
    expect(r.code).toBe(127);
  });

  it('a write to a read-only volume fails inside the module; a read-write volume takes it', async () => {
    const ro = await runCli(['run', '-q', '--volume', `${data}:/data:ro`, images.refs.hello, '--write=/data/out.txt'], { root });
    expect(ro.stderr).toMatch(/cannot write \/data\/out.txt: /);
    expect(ro.code).toBe(4);
    await expect(readdir(data)).resolves.toEqual(['note.txt']);
    const rw = await runCli(['run', '-q', '--volume', `${data}:/data`, images.refs.hello, '--write=/data/out.txt'], { root });
    expect(rw.stdout).toContain('wrote /data/out.txt');
    expect(rw.code).toBe(0);
    await expect(readFile(join(data, 'out.txt'), 'utf8')).resolves.toBe('written by hello-wasi\n');
    await rm(join(data, 'out.txt'));
  });

  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`forwards ${sig} to a workload blocked in a host call and exits ${code}, leaving nothing behind`, async () => {
      const child = runCli(['run', '-q', images.refs.hello, '--sleep=3600'], { root });
      await child.stdoutContains('sleeping');
      process.kill(child.pid, sig);
      const r = await child;
      expect(r.code).toBe(code);
      await expect(readdir(join(root, 'bundles'))).resolves.toEqual([]);
    });
  }

  it('--fuel ends a module that runs out with 134 and says fuel-exhausted', async () => {
    const r = await runCli(['run', '-q', '--fuel', '1000', images.refs.hello], { root });
    expect(r.stderr).toMatch(/fuel-exhausted/);
    expect(r.code).toBe(134);
  });

  it('--timeout ends a sleeping module with 124 (timed-out)', async () => {
    const r = await runCli(['run', '-q', '--timeout', '300ms', images.refs.hello, '--sleep=3600'], { root });
    expect(r.stderr).toMatch(/timed-out/);
    expect(r.code).toBe(124);
  });

  it('--memory above the default needs --allow-above-default', async () => {
    const refused = await runCli(['run', '-q', '--memory', '1gb', images.refs.hello], { root });
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/allowAboveDefault|above its default/);
    const allowed = await runCli(['run', '-q', '--memory', '1gb', '--allow-above-default', images.refs.hello], { root });
    expect(allowed.code).toBe(0);
  });

  it('a second SIGINT kills a workload that survived the first (exit 137), and the --name is free again', async () => {
    const child = runCli(['run', '-q', '--name', 'twice', images.refs.hello, '--sleep=3600'], { root });
    await child.stdoutContains('sleeping');
    process.kill(child.pid, 'SIGINT');
    process.kill(child.pid, 'SIGINT');
    const r = await child;
    expect([130, 137]).toContain(r.code);
    const again = await runCli(['run', '-q', '--name', 'twice', images.refs.hello], { root });
    expect(again.code).toBe(0);
  });

  it('output piped into a reader that closes early (| head) still ends with cleanup', async () => {
    const r = await runCli(['run', '-q', '--name', 'piped', images.refs.hello, '--sleep=1'], { root, closeStdoutAfter: 1 });
    expect(r.code).not.toBe(null);
    await expect(readdir(join(root, 'bundles'))).resolves.toEqual([]);
  });

  it('refuses --workdir for a WASI preview 1 module (it has no working directory) with UNSUPPORTED', async () => {
    const r = await runCli(['run', '-q', '--workdir', '/share/hello', images.refs.hello], { root });
    expect(r.stderr).toMatch(/working directory .* WASI preview 1/);
    expect(r.stderr).toMatch(/UNSUPPORTED/);
    expect(r.code).toBe(125);
  });

  it('says a Linux image needs a Linux runtime (UNAVAILABLE, 125) instead of blaming the wasm check', async () => {
    const r = await runCli(['run', '-q', images.refs.linux], { root, env: NO_LINUX_RUNTIME });
    expect(r.stderr).toMatch(/linux\/\w+ image and no runtime for Linux containers is installed/);
    expect(r.stderr).toMatch(/youki: /);
    expect(r.stderr).toMatch(/UNAVAILABLE/);
    expect(r.code).toBe(125);
  });

  it('accepts --fuel in exponent form (1e9) and prints --version', async () => {
    const r = await runCli(['run', '-q', '--fuel', '1e9', images.refs.hello], { root });
    expect(r.code).toBe(0);
    const v = await runCli(['--version'], { root });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('checks options before pulling: a bad --name or --env fails with nothing fetched', async () => {
    const { dir, cleanup } = await tempDir('magikrun-cli-opts-');
    try {
      for (const bad of [['--name', '../escape'], ['--env', '=novalue']]) {
        const r = await runCli(['run', ...bad, images.refs.hello], { root: dir });
        expect(r.code).toBe(125);
        expect(r.stderr).toMatch(/INVALID_ARGUMENT/);
        expect(r.stderr).not.toMatch(/pulling/);
      }
      await expect(readdir(join(dir, 'blobs'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await cleanup();
    }
  });

  it('exits 125 for bad options (a relative guest path)', async () => {
    const r = await runCli(['run', '-q', '--volume', `${data}:relative`, images.refs.hello], { root });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/guest path must be absolute/);
  });
});

describe('magikrun pull and info', () => {
  it('pull prints progress and the digest; a second pull finds the blobs already present', async () => {
    const { dir, cleanup } = await tempDir('magikrun-cli-pull-');
    try {
      const first = await runCli(['pull', images.refs.hello], { root: dir });
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/layer [0-9a-f]{12} .* verified/);
      expect(first.stderr).toMatch(/pulled sha256:[0-9a-f]{64}/);
      const second = await runCli(['pull', images.refs.hello], { root: dir });
      expect(second.stderr).toMatch(/layer [0-9a-f]{12} already present/);
    } finally {
      await cleanup();
    }
  });

  it('pull finds a corrupted stored blob, fetches it again, and run works afterwards', async () => {
    const { dir, cleanup } = await tempDir('magikrun-cli-repair-');
    try {
      expect((await runCli(['pull', '-q', images.refs.hello], { root: dir })).code).toBe(0);
      const blobs = join(dir, 'blobs', 'sha256');
      let victim = '';
      for (const sub of await readdir(blobs)) for (const f of await readdir(join(blobs, sub))) {
        const p = join(blobs, sub, f);
        if ((await stat(p)).size > 10_000) victim = p; // the layer
      }
      expect(victim).not.toBe('');
      await chmod(victim, 0o600);
      const bytes = await readFile(victim);
      bytes[100] = bytes[100]! ^ 0xff;
      await writeFile(victim, bytes);
      const broken = await runCli(['run', '-q', images.refs.hello], { root: dir });
      expect(broken.code).toBe(125);
      expect(broken.stderr).toMatch(/DIGEST_MISMATCH/);
      const repaired = await runCli(['pull', images.refs.hello], { root: dir });
      expect(repaired.code).toBe(0);
      expect(repaired.stderr).toMatch(/layer [0-9a-f]{12} .* verified/);
      expect((await runCli(['run', '-q', images.refs.hello], { root: dir })).code).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('pull of a malformed reference fails at once with INVALID_ARGUMENT and no "pulling" line', async () => {
    const { dir, cleanup } = await tempDir('magikrun-cli-badref-');
    try {
      const r = await runCli(['pull', 'Not/A:Valid:Reference'], { root: dir });
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(/INVALID_ARGUMENT/);
      expect(r.stderr).not.toMatch(/pulling/);
    } finally {
      await cleanup();
    }
  });

  it('info --json lists capabilities with reasons and wasmtime as available', async () => {
    const { dir, cleanup } = await tempDir('magikrun-cli-info-');
    try {
      const r = await runCli(['info', '--json'], { root: dir });
      expect(r.code).toBe(0);
      const info = JSON.parse(r.stdout) as { runtimes: string[]; capabilities: Record<string, { available: boolean; reason: string }> };
      expect(info.runtimes).toContain('wasmtime');
      expect(info.capabilities['webassembly']?.available).toBe(true);
      expect(info.capabilities['cgroups']?.reason).toMatch(/\w/);
    } finally {
      await cleanup();
    }
  });
});
