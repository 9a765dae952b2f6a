// A host that cannot run Linux containers gets a clear error naming what is missing (exit 125) — here
// "not root": the built CLI runs as the unprivileged user nobody (the test itself runs as root, as CI
// does). Skips when the test does not run as root (it cannot switch users then).
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, tempDir, type CliResult } from './support.js';

const images = inject('images');
const NOBODY = 65534;

/** The CLI as uid/gid 65534 with its own HOME and data root. */
function runAsNobody(args: string[], home: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, '--root', join(home, 'root'), ...args], {
    uid: NOBODY,
    gid: NOBODY,
    cwd: home,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe.runIf(process.getuid?.() === 0)('Linux containers on a host that cannot run them (not root)', () => {
  let home: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('magikrun-cli-nobody-');
    cleanup = t.cleanup;
    await chmod(t.dir, 0o755);
    home = join(t.dir, 'home');
    await mkdir(home, { mode: 0o700 });
    await chown(home, NOBODY, NOBODY);
  });
  afterAll(() => cleanup());

  it('run of a Linux image fails with 125 and UNAVAILABLE, naming root as what is missing', async () => {
    const r = await runAsNobody(['run', '-q', images.refs.busybox, 'true'], home);
    expect(r.stderr).toMatch(/no runtime for Linux containers is installed and usable on this host: youki: .*root/);
    expect(r.stderr).toMatch(/UNAVAILABLE/);
    expect(r.code).toBe(125);
  });

  it('run --runtime youki says the same before pulling anything', async () => {
    const r = await runAsNobody(['run', '-q', '--runtime', 'youki', images.refs.busybox, 'true'], home);
    expect(r.stderr).toMatch(/runtime "youki" is not available: .*root.*UNAVAILABLE/);
    expect(r.code).toBe(125);
  });

  it('ps lists nothing and says why on stderr; rm says why and exits 125', async () => {
    const ps = await runAsNobody(['ps', '-a'], home);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toBe('CONTAINER ID   IMAGE   STATUS   PID   CREATED   RUNTIME\n');
    expect(ps.stderr).toMatch(/no runtime for Linux containers is available on this host: youki: .*root/);
    const rm = await runAsNobody(['rm', 'anything'], home);
    expect(rm.code).toBe(125);
    expect(rm.stderr).toMatch(/youki: .*root.*UNAVAILABLE/);
  });
});
