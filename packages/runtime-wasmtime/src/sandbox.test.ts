/**
 * The sandbox, attacked from inside with clang-built WASI programs: a read-only preopen stays
 * unwritten (write, create, truncate, append, unlink, rename, mkdir, rmdir, link, symlink, utimes);
 * no path leaves a preopen (`..`, absolute paths outside every preopen, symlinks inside a preopen that
 * point outside, symlinks the module makes itself); no socket is reachable; no host environment variable
 * is inherited; stdin is closed by default.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Preopen } from '@magikrun/core';
import { WasmtimeRuntime } from './runtime.js';
import { programBundle, scratch, text, type Program } from './test-support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let rt: WasmtimeRuntime;
let n = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('sandbox'));
  rt = new WasmtimeRuntime({ cacheDir: path.join(dir, 'cache') });
});

afterAll(async () => {
  for (const s of await rt.list()) await rt.delete(s.id, { force: true });
  await cleanup();
});

/** Run `program` to its end; its stdout as lines, keyed by everything before the last ": ". */
async function run(program: Program, args: string[], preopens: Preopen[] = [], env: string[] = []) {
  const id = `sandbox-${process.pid}-${++n}`;
  await rt.create(id, await programBundle(program, dir, { args, preopens, env }), { stdio: { stdout: 'pipe', stderr: 'pipe' } });
  const out = text(rt.streams(id).stdout);
  const errText = text(rt.streams(id).stderr);
  await rt.start(id);
  const status = await rt.wait(id);
  await rt.delete(id);
  const stdout = await out;
  const results = new Map<string, string>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const at = line.lastIndexOf(': ');
    if (at > 0) results.set(line.slice(0, at), line.slice(at + 2));
  }
  return { status, stdout, stderr: await errText, results };
}

/** A host tree: <root>/ro (read-only preopen), <root>/rw (read-write preopen), <root>/outside (no preopen). */
async function tree(name: string) {
  const root = path.join(dir, name);
  const ro = path.join(root, 'ro');
  const rw = path.join(root, 'rw');
  const outside = path.join(root, 'outside');
  for (const d of [ro, path.join(ro, 'dir'), rw, outside]) await mkdir(d, { recursive: true });
  await writeFile(path.join(ro, 'file.txt'), 'ro original\n');
  await writeFile(path.join(rw, 'file.txt'), 'rw original\n');
  await writeFile(path.join(outside, 'secret.txt'), 'host secret\n');
  const preopens: Preopen[] = [
    { hostPath: ro, guestPath: '/ro', readonly: true },
    { hostPath: rw, guestPath: '/rw' },
  ];
  return { root, ro, rw, outside, preopens };
}

/** Denied: any errno, never "ok". */
const DENIED = /^(EPERM|EACCES|EROFS|ENOTCAPABLE|EBADF|ENOENT|ELOOP|EXDEV)$/;

describe('read-only preopens', () => {
  it('refuse every kind of write, while reads work; the host files are unchanged', async () => {
    const t = await tree('readonly');
    const ops = [
      'write:/ro/file.txt',
      'create:/ro/new.txt',
      'trunc:/ro/file.txt',
      'append:/ro/file.txt',
      'unlink:/ro/file.txt',
      'rename:/ro/file.txt>/ro/renamed.txt',
      'rename:/ro/file.txt>/rw/moved.txt',
      'mkdir:/ro/sub',
      'rmdir:/ro/dir',
      'link:/ro/file.txt>/ro/hardlink',
      'link:/ro/file.txt>/rw/hardlink',
      'symlink:file.txt>/ro/symlink',
      'utimes:/ro/file.txt',
    ];
    const { status, results } = await run('fsops', ['read:/ro/file.txt', ...ops], t.preopens);
    expect(status).toEqual({ code: 0, reason: 'exited' });
    expect(results.get('read /ro/file.txt')).toBe('ok ro original');
    for (const op of ops) {
      const [verb, paths] = op.split(':') as [string, string];
      expect(results.get(`${verb} ${paths.replace('>', ' ')}`), op).toMatch(DENIED);
    }
    expect(await readFile(path.join(t.ro, 'file.txt'), 'utf8')).toBe('ro original\n');
    expect((await readdir(t.ro)).sort()).toEqual(['dir', 'file.txt']);
    expect(await readdir(t.rw)).toEqual(['file.txt']);
  });
});

describe('no path leaves a preopen', () => {
  it('`..`, absolute paths outside every preopen and relative paths are refused', async () => {
    const t = await tree('dotdot');
    const outsideAbs = path.join(t.outside, 'secret.txt');
    const reads = ['/rw/../outside/secret.txt', '/ro/../outside/secret.txt', '/rw/../../', outsideAbs, '/etc/passwd', '../outside/secret.txt', 'outside/secret.txt'];
    const writes = ['create:/rw/../outside/planted.txt', 'rename:/rw/file.txt>/rw/../outside/moved.txt', 'mkdir:/rw/../outside/sub'];
    const { results } = await run('fsops', [...reads.map((r) => `read:${r}`), ...writes], t.preopens);
    for (const r of reads) expect(results.get(`read ${r}`), r).toMatch(DENIED);
    for (const w of writes) expect(results.get(w.replace(':', ' ').replace('>', ' ')), w).toMatch(DENIED);
    expect(await readdir(t.outside)).toEqual(['secret.txt']);
    expect(await readFile(path.join(t.rw, 'file.txt'), 'utf8')).toBe('rw original\n');
  });

  it('symlinks inside a preopen that point outside are not followed; ones that stay inside are', async () => {
    const t = await tree('symlinks');
    await symlink('../outside', path.join(t.rw, 'up')); // relative, to a directory outside
    await symlink(path.join(t.outside, 'secret.txt'), path.join(t.rw, 'abs')); // absolute, to a file outside
    await symlink('../outside/secret.txt', path.join(t.ro, 'rel')); // in the read-only preopen
    await symlink('file.txt', path.join(t.rw, 'inner')); // stays inside: must work
    const { results } = await run(
      'fsops',
      [
        'read:/rw/inner',
        'read:/rw/up/secret.txt',
        'read:/rw/abs',
        'read:/ro/rel',
        'write:/rw/abs',
        'create:/rw/up/planted.txt',
        'link:/rw/file.txt>/rw/up/hardlink',
        // A symlink the module makes itself may exist, but leads nowhere.
        'symlink:../outside>/rw/mine',
        'read:/rw/mine/secret.txt',
        'create:/rw/mine/planted.txt',
      ],
      t.preopens,
    );
    expect(results.get('read /rw/inner')).toBe('ok rw original');
    for (const k of ['read /rw/up/secret.txt', 'read /rw/abs', 'read /ro/rel', 'write /rw/abs', 'create /rw/up/planted.txt', 'link /rw/file.txt /rw/up/hardlink']) {
      expect(results.get(k), k).toMatch(DENIED);
    }
    expect(results.get('read /rw/mine/secret.txt')).toMatch(DENIED);
    expect(results.get('create /rw/mine/planted.txt')).toMatch(DENIED);
    expect(await readdir(t.outside)).toEqual(['secret.txt']);
    expect(await readFile(path.join(t.outside, 'secret.txt'), 'utf8')).toBe('host secret\n');
  });

  it('a read-write preopen takes writes (the denials above are not a broken filesystem)', async () => {
    const t = await tree('readwrite');
    const { results } = await run('fsops', ['create:/rw/new.txt', 'mkdir:/rw/sub', 'rename:/rw/file.txt>/rw/sub/moved.txt'], t.preopens);
    expect([...results.values()]).toEqual(['ok', 'ok', 'ok']);
    expect(await readFile(path.join(t.rw, 'new.txt'), 'utf8')).toBe('created\n');
    expect(await readFile(path.join(t.rw, 'sub', 'moved.txt'), 'utf8')).toBe('rw original\n');
  });
});

describe('no ambient authority', () => {
  it('no socket is reachable: sock_accept/recv/send/shutdown fail on every fd', async () => {
    const t = await tree('sockets');
    const { status, stdout } = await run('sockets', [], t.preopens);
    expect(stdout).toMatch(/\nunreachable\n$/);
    expect(status).toEqual({ code: 0, reason: 'exited' });
  });

  it('no host environment variable is inherited: the module sees bundle.env only', async () => {
    const key = `MAGIKRUN_SANDBOX_PROBE_${process.pid}`;
    process.env[key] = 'leaked';
    try {
      const { stdout } = await run('environ', [], [], ['ONLY=this']);
      expect(stdout).toBe('ONLY=this\ncount=1\n');
    } finally {
      delete process.env[key];
    }
  });

  it('stdin is closed unless given (reads end-of-file at once)', async () => {
    const { status, stderr } = await run('read-stdin', []);
    expect(status).toEqual({ code: 0, reason: 'exited' });
    expect(stderr).toBe('read 0 bytes\n');
  });
});
