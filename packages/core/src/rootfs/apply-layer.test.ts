import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf } from '../../test/support/outcome.js';
import { END, paxEntry, rawEntry, storeLayer, tarOf, type E } from '../../test/support/layers.js';
import { BlobStore } from '../storage/blob-store.js';
import { applyLayer, type LayerStats } from './apply-layer.js';
import { mkdirInRoot, readFileInRoot } from './in-root.js';
import { resolveInRoot } from './resolve-in-root.js';
import type { UnpackWarning } from './warnings.js';

let parent: string;
let root: string;
let store: BlobStore;
const isRoot = process.geteuid?.() === 0;

beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-apply-'));
  root = path.join(parent, 'rootfs');
  await mkdir(root);
  store = await BlobStore.open({ root: path.join(parent, 'store') });
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

async function applyTar(t: Buffer, opts: { compression?: 'gzip' | 'zstd' | 'none'; privileged?: boolean; onWarning?: (w: UnpackWarning) => void } = {}): Promise<LayerStats> {
  const l = await storeLayer(store, t, opts.compression ?? 'gzip');
  return applyLayer({
    store,
    layer: l.descriptor,
    diffId: l.diffId,
    root,
    ...(opts.privileged !== undefined ? { privileged: opts.privileged } : {}),
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  });
}
const apply = async (entries: E[], opts: Parameters<typeof applyTar>[1] = {}) => applyTar(await tarOf(entries), opts);
const exists = (p: string) => lstat(path.join(root, p)).then(() => true, () => false);
const read = (p: string) => readFile(path.join(root, p), 'utf8');
const mode = async (p: string) => (await lstat(path.join(root, p))).mode & 0o7777;

describe('applyLayer: content and metadata', () => {
  it('writes files, directories, symlinks and hard links from gzip, zstd and plain tar alike', async () => {
    const entries: E[] = [
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/tool', content: 'x', mode: 0o755 },
      { name: 'etc/motd', content: 'hello' },
      { name: 'etc/link', type: 'symlink', linkname: '/etc/motd' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/motd' },
      { name: '/abs/file', content: 'abs' },
    ];
    for (const compression of ['gzip', 'zstd', 'none'] as const) {
      await rm(root, { recursive: true });
      await mkdir(root);
      const stats = await apply(entries, { compression });
      expect(stats.entries).toBe(entries.length);
      expect(stats.compression).toBe(compression);
      expect(await read('etc/motd')).toBe('hello');
      expect(await mode('bin/tool')).toBe(0o755);
      expect(await readlink(path.join(root, 'etc/link'))).toBe('/etc/motd');
      expect((await lstat(path.join(root, 'etc/hard'))).ino).toBe((await lstat(path.join(root, 'etc/motd'))).ino);
      expect(await read('abs/file')).toBe('abs');
    }
  });

  it('keeps setuid, setgid and sticky bits whatever the umask, and applies numeric owners without following links', async () => {
    const old = process.umask(0o077);
    try {
      await apply([
        { name: 'usr/bin/su', content: 'su', mode: 0o4755, uid: 0, gid: 0 },
        { name: 'usr/bin/wall', content: 'w', mode: 0o2755, uid: 0, gid: 5 },
        { name: 'tmp/', type: 'directory', mode: 0o1777 },
        { name: 'home/app/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
        { name: 'home/app/f', content: 'f', mode: 0o600, uid: 1000, gid: 1000 },
        { name: 'home/app/l', type: 'symlink', linkname: '/etc/shadow', uid: 1000, gid: 1000 },
      ]);
    } finally {
      process.umask(old);
    }
    expect(await mode('usr/bin/su')).toBe(0o4755);
    expect(await mode('usr/bin/wall')).toBe(0o2755);
    expect(await mode('tmp')).toBe(0o1777);
    expect(await mode('home/app')).toBe(0o750);
    // implicit parents: 0755 minus the umask (containerd's mkparent)
    expect(await mode('usr')).toBe(0o700);
    if (isRoot) {
      const f = await lstat(path.join(root, 'home/app/f'));
      expect([f.uid, f.gid]).toEqual([1000, 1000]);
      expect((await lstat(path.join(root, 'usr/bin/wall'))).gid).toBe(5);
      const l = await lstat(path.join(root, 'home/app/l'));
      expect([l.uid, l.gid]).toEqual([1000, 1000]);
    }
  });

  it('sets mtimes (PAX fractions too) and directory mtimes after their contents, without following symlinks', async () => {
    const t = Buffer.concat([
      rawEntry({ name: 'd/', typeflag: '5', mode: 0o755, mtime: 1_000_000_000 }),
      paxEntry([['mtime', '1234567890.5']]),
      rawEntry({ name: 'd/f', mtime: 1 }, Buffer.from('x')),
      rawEntry({ name: 'd/l', typeflag: '2', linkname: '/nowhere', mtime: 1_100_000_000 }),
      END,
    ]);
    await applyTar(t);
    expect((await lstat(path.join(root, 'd/f'))).mtimeMs).toBe(1_234_567_890_500);
    expect((await lstat(path.join(root, 'd'))).mtimeMs).toBe(1_000_000_000_000);
    expect((await lstat(path.join(root, 'd/l'))).mtimeMs).toBe(1_100_000_000_000);
  });

  it('a directory over a directory merges and takes the new metadata; other types replace each other', async () => {
    await apply([
      { name: 'd/', type: 'directory', mode: 0o755 },
      { name: 'd/old', content: 'old' },
      { name: 'f', content: 'file' },
      { name: 's', type: 'symlink', linkname: 'f' },
      { name: 'x/y', content: 'y' },
    ]);
    await apply([
      { name: 'd/', type: 'directory', mode: 0o700 },
      { name: 'f', type: 'symlink', linkname: 'd' },
      { name: 's', type: 'directory', mode: 0o755 },
      { name: 'x', content: 'now a file' },
    ]);
    expect(await read('d/old')).toBe('old');
    expect(await mode('d')).toBe(0o700);
    expect(await readlink(path.join(root, 'f'))).toBe('d');
    expect((await lstat(path.join(root, 's'))).isDirectory()).toBe(true);
    expect(await read('x')).toBe('now a file');
  });

  it('never writes into an existing inode: a file hard-linked by a lower layer keeps its content', async () => {
    await apply([
      { name: 'a', content: 'shared' },
      { name: 'b', type: 'link', linkname: 'a' },
    ]);
    const before = (await lstat(path.join(root, 'a'))).ino;
    await apply([{ name: 'a', content: 'new content' }]);
    expect(await read('a')).toBe('new content');
    expect(await read('b')).toBe('shared');
    expect((await lstat(path.join(root, 'a'))).ino).not.toBe(before);
    expect((await lstat(path.join(root, 'b'))).nlink).toBe(1);
  });

  it('hard links resolve from the layer root, may target lower layers, and link a symlink itself', async () => {
    await apply([
      { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
      { name: 'usr/lib/libc.so', content: 'libc' },
      { name: 'dangling', type: 'symlink', linkname: '/does/not/exist' },
    ]);
    await apply([
      { name: 'opt/libc', type: 'link', linkname: 'lib/libc.so' },
      { name: 'opt/dl', type: 'link', linkname: '/dangling' },
    ]);
    expect((await lstat(path.join(root, 'opt/libc'))).ino).toBe((await lstat(path.join(root, 'usr/lib/libc.so'))).ino);
    expect(await readlink(path.join(root, 'opt/dl'))).toBe('/does/not/exist');
  });

  it('hard links to nothing, to a directory or to themselves are INVALID_ARGUMENT', async () => {
    expect(await codeOf(apply([{ name: 'h', type: 'link', linkname: 'missing' }]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(apply([{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(apply([{ name: 'h', content: 'x' }, { name: 'h', type: 'link', linkname: 'h' }]))).toBe('INVALID_ARGUMENT');
  });

  it('long names and link targets from PAX and GNU records arrive intact', async () => {
    const long = `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(200)}`;
    await apply([
      { name: long, content: 'pax' },
      { name: 'ln', type: 'symlink', linkname: `/${long}` },
    ]);
    expect(await read(long)).toBe('pax');
    expect(await readlink(path.join(root, 'ln'))).toBe(`/${long}`);
    const gnuName = `g/${'n'.repeat(150)}`;
    const t = Buffer.concat([
      rawEntry({ name: '././@LongLink', typeflag: 'L', format: 'gnu' }, Buffer.from(`${gnuName}\0`)),
      rawEntry({ name: gnuName.slice(0, 100), format: 'gnu' }, Buffer.from('gnu')),
      rawEntry({ name: '././@LongLink', typeflag: 'K', format: 'gnu' }, Buffer.from(`/${gnuName}\0`)),
      rawEntry({ name: 'gl', typeflag: '2', linkname: 'short', format: 'gnu' }),
      END,
    ]);
    await applyTar(t);
    expect(await read(gnuName)).toBe('gnu');
    expect(await readlink(path.join(root, 'gl'))).toBe(`/${gnuName}`);
  });

  it('applies xattrs from SCHILY.xattr records byte-exact, including a binary security.capability', async () => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_raw+ep, v2
    const t = Buffer.concat([
      paxEntry([
        ['SCHILY.xattr.user.comment', 'caf\u00e9'],
        ['SCHILY.xattr.security.capability', cap],
      ]),
      rawEntry({ name: 'bin/ping', mode: 0o755 }, Buffer.from('ping')),
      paxEntry([['SCHILY.xattr.trusted.overlay.opaque', 'y']]),
      rawEntry({ name: 'etc/', typeflag: '5', mode: 0o755 }),
      END,
    ]);
    const warnings: UnpackWarning[] = [];
    const s = await applyTar(t, { onWarning: (w) => warnings.push(w) });
    expect(s.warnings).toEqual(warnings);
    expect(warnings.some((w) => w.code === 'xattr-skipped' && w.message.includes('trusted.overlay.opaque'))).toBe(true);
    const get = (name: string, p: string) => spawnSync('getfattr', ['-h', '-e', 'hex', '-n', name, '--only-values', path.join(root, p)]);
    const comment = get('user.comment', 'bin/ping');
    if (comment.status === 0) {
      expect(comment.stdout.toString()).toBe('caf\u00e9');
    } else {
      expect(warnings.some((w) => w.entry === 'bin/ping' && w.message.includes('user.comment'))).toBe(true);
    }
    if (isRoot) {
      const c = get('security.capability', 'bin/ping');
      expect(c.status).toBe(0);
      expect(c.stdout.equals(cap)).toBe(true);
    }
    expect(get('trusted.overlay.opaque', 'etc').status).not.toBe(0);
  });

  it('refuses xattrs over the size or count limit or outside the xattr namespaces', async () => {
    const one = (records: [string, string | Buffer][]) => Buffer.concat([paxEntry(records), rawEntry({ name: 'f' }, Buffer.from('x')), END]);
    expect(await codeOf(applyTar(one([['SCHILY.xattr.user.big', Buffer.alloc(70 * 1024, 1)]])))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(applyTar(one(Array.from({ length: 200 }, (_, i) => [`SCHILY.xattr.user.a${i}`, 'v'] as [string, string]))))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(applyTar(one([['SCHILY.xattr.bogus.name', 'v']])))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(applyTar(one([['SCHILY.xattr.user.', 'v']])))).toBe('INVALID_ARGUMENT');
  });

  it('without setfattr or mknod on the host, xattrs and FIFOs are reported as warnings, not applied', async () => {
    const t = Buffer.concat([paxEntry([['SCHILY.xattr.user.k', 'v']]), rawEntry({ name: 'f' }, Buffer.from('x')), rawEntry({ name: 'p', typeflag: '6' }), END]);
    const l = await storeLayer(store, t);
    const warnings: UnpackWarning[] = [];
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await applyLayer({ store, layer: l.descriptor, diffId: l.diffId, root, onWarning: (w) => warnings.push(w) });
    } finally {
      process.env.PATH = savedPath;
    }
    expect(warnings.map((w) => [w.code, w.entry])).toEqual(expect.arrayContaining([['xattr-skipped', 'f'], ['fifo-skipped', 'p']]));
    expect(warnings.find((w) => w.code === 'xattr-skipped')!.message).toMatch(/missing/);
    expect(await read('f')).toBe('x');
    expect(await exists('p')).toBe(false);
  });

  it('creates FIFOs, and device nodes only when privileged (else a warning)', async () => {
    const entries: E[] = [
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ];
    const warnings: UnpackWarning[] = [];
    const s = await apply(entries, { privileged: false, onWarning: (w) => warnings.push(w) });
    expect(s.skipped).toEqual(['dev/null']);
    expect(warnings.map((w) => w.code).sort()).toEqual(['device-skipped', 'ownership-skipped']);
    expect(await exists('dev/null')).toBe(false);
    expect((await lstat(path.join(root, 'run/fifo'))).isFIFO()).toBe(true);
    expect(await mode('run/fifo')).toBe(0o600);
    if (isRoot) {
      await rm(root, { recursive: true });
      await mkdir(root);
      const p = await apply(entries, { privileged: true });
      expect(p.skipped).toEqual([]);
      const st = await lstat(path.join(root, 'dev/null'));
      expect(st.isCharacterDevice()).toBe(true);
      expect(st.rdev).toBe((1 << 8) | 3);
      expect(st.mode & 0o7777).toBe(0o666);
    }
  });
});

describe('applyLayer: whiteouts', () => {
  it('removes lower-layer files (.wh.NAME) and directory contents (.wh..wh..opq), wherever the marker stands', async () => {
    await apply([
      { name: 'a/b', content: 'b' },
      { name: 'a/c', content: 'c' },
      { name: 'd/e', content: 'e' },
      { name: 'd/f/g', content: 'g' },
      { name: 'd/keep/lower', content: 'lower' },
    ]);
    // markers after and before the entries they sit beside
    await apply([
      { name: 'd/new', content: 'new' },
      { name: 'd/keep/', type: 'directory' },
      { name: 'd/keep/upper', content: 'upper' },
      { name: 'd/.wh..wh..opq' },
      { name: 'a/.wh.b' },
    ]);
    expect(await exists('a/b')).toBe(false);
    expect(await exists('a/.wh.b')).toBe(false);
    expect(await read('a/c')).toBe('c');
    expect(await exists('d/e')).toBe(false);
    expect(await exists('d/f')).toBe(false);
    expect(await exists('d/.wh..wh..opq')).toBe(false);
    expect(await read('d/new')).toBe('new');
    // a directory of this layer survives the opaque marker, but what lower layers put inside it does not
    expect(await read('d/keep/upper')).toBe('upper');
    expect(await exists('d/keep/lower')).toBe(false);
  });

  it('does not remove what the same layer added', async () => {
    await apply([{ name: 'x/keep', content: 'k' }, { name: 'x/.wh..wh..opq' }, { name: 'y', content: 'y' }, { name: '.wh.y' }]);
    expect(await read('x/keep')).toBe('k');
    expect(await read('y')).toBe('y');
  });

  it('a whiteout of a directory removes it recursively; a whiteout of nothing is a no-op', async () => {
    await apply([{ name: 'tree/a/b/c', content: 'c' }]);
    await apply([{ name: '.wh.tree' }, { name: 'nothing/.wh.here' }]);
    expect(await exists('tree')).toBe(false);
    expect((await stat(path.join(root, 'nothing'))).isDirectory()).toBe(true);
  });

  it('whiteouts below a path that is no longer a directory are no-ops (umoci writes them after turning a directory into a file)', async () => {
    await apply([{ name: 'd/inner', content: 'i' }, { name: 'd/y', content: 'y' }]);
    await apply([{ name: 'd', content: 'now a file' }, { name: 'd/.wh.inner' }, { name: 'd/.wh.y' }, { name: 'd/sub/.wh..wh..opq' }]);
    expect(await read('d')).toBe('now a file');
  });

  it('malformed whiteouts are INVALID_ARGUMENT; AUFS metadata is skipped with a warning', async () => {
    for (const name of ['a/.wh.', 'a/.wh..', 'a/.wh...', '.wh.x/y']) {
      expect(await codeOf(apply([{ name }])), name).toBe('INVALID_ARGUMENT');
    }
    const warnings: UnpackWarning[] = [];
    const s = await apply(
      [
        { name: '.wh..wh.plnk/', type: 'directory' },
        { name: '.wh..wh.plnk/123.4', content: 'x' },
        { name: '.wh..wh.aufs' },
        { name: 'ok', content: 'ok' },
      ],
      { onWarning: (w) => warnings.push(w) },
    );
    expect(s.skipped).toHaveLength(3);
    expect(warnings.filter((w) => w.code === 'aufs-metadata-skipped')).toHaveLength(3);
    expect(await exists('.wh..wh.plnk')).toBe(false);
    expect(await read('ok')).toBe('ok');
  });
});

describe('applyLayer: verification', () => {
  it('checks the diff_id and requires one', async () => {
    const t = await tarOf([{ name: 'a', content: '1' }]);
    const l = await storeLayer(store, t);
    expect(await codeOf(applyLayer({ store, layer: l.descriptor, diffId: l.diffId, root }))).toBe('resolved');
    const other = `sha256:${'0'.repeat(64)}`;
    expect(await codeOf(applyLayer({ store, layer: l.descriptor, diffId: other, root }))).toBe('DIGEST_MISMATCH');
    expect(await codeOf(applyLayer({ store, layer: l.descriptor, diffId: 'md5:abc', root }))).toBe('INVALID_ARGUMENT');
  });

  it('a layer over maxLayerSize, a file over it and a shared rootfs budget are LIMIT_EXCEEDED', async () => {
    const big = await storeLayer(store, await tarOf([{ name: 'big', content: 'x'.repeat(5000) }]));
    expect(await codeOf(applyLayer({ store, layer: big.descriptor, diffId: big.diffId, root, limits: { maxLayerSize: 4096 } }))).toBe('LIMIT_EXCEEDED');
    const budget = { remaining: 8000, total: 8000 };
    expect(await codeOf(applyLayer({ store, layer: big.descriptor, diffId: big.diffId, root, budget }))).toBe('resolved');
    expect(budget.remaining).toBeLessThan(8000 - 5000);
    expect(await codeOf(applyLayer({ store, layer: big.descriptor, diffId: big.diffId, root, budget }))).toBe('LIMIT_EXCEEDED');
  });
});

describe('resolveInRoot and the in-root helpers', () => {
  it('clamps .. and absolute symlink targets at the root', async () => {
    await apply([
      { name: 'a/b', type: 'symlink', linkname: '../../../..' },
      { name: 'c', type: 'symlink', linkname: '/a' },
    ]);
    expect(await resolveInRoot(root, 'a/b/etc', true)).toBe(path.join(root, 'etc'));
    expect(await resolveInRoot(root, '/c/b/x', true)).toBe(path.join(root, 'x'));
    expect(await resolveInRoot(root, '../../x', true)).toBe(path.join(root, 'x'));
    expect(await resolveInRoot(root, 'c', false)).toBe(path.join(root, 'c'));
    expect(await resolveInRoot(root, 'missing/../a/b/y', true)).toBe(path.join(root, 'y'));
  });

  it('the path steps a layer may spend resolving names are capped (maxResolveSteps): many entries each through a long symlink detour are LIMIT_EXCEEDED', async () => {
    // s → a 400-component detour to "end"; each "tN" → "s" makes the next entry walk the detour again.
    const entries: E[] = [
      { name: 'end/', type: 'directory' },
      { name: 's', type: 'symlink', linkname: `/${'d/'.repeat(200)}${'../'.repeat(200)}end` },
    ];
    for (let i = 0; i < 30; i++) entries.push({ name: `t${i}`, type: 'symlink', linkname: 's' }, { name: `t${i}/f`, content: 'x' });
    const l = await storeLayer(store, await tarOf(entries), 'gzip');
    expect(await codeOf(applyLayer({ store, layer: l.descriptor, diffId: l.diffId, root, limits: { maxResolveSteps: 5000 } }))).toBe('LIMIT_EXCEEDED');
    await rm(root, { recursive: true });
    await mkdir(root);
    // The same layer is fine under the default.
    expect((await applyLayer({ store, layer: l.descriptor, diffId: l.diffId, root })).entries).toBe(entries.length);
    expect(await read('end/f')).toBe('x');
  });

  it('real layers stay far below maxResolveSteps: parents and hard-link target directories are resolved once', async () => {
    const deep = 'a/b/c/d/e/f/g/h';
    const lower = await storeLayer(store, await tarOf([{ name: `${deep}/target`, content: 't' }]), 'gzip');
    await applyLayer({ store, layer: lower.descriptor, diffId: lower.diffId, root });
    const entries: E[] = [];
    for (let i = 0; i < 500; i++) entries.push({ name: `links/l${i}`, type: 'link', linkname: `${deep}/target` }, { name: `x/y/z/${i}/f`, content: 'f' });
    const upper = await storeLayer(store, await tarOf(entries), 'gzip');
    expect((await applyLayer({ store, layer: upper.descriptor, diffId: upper.diffId, root, limits: { maxResolveSteps: 2000 } })).entries).toBe(1000);
    expect((await lstat(path.join(root, deep, 'target'))).nlink).toBe(501);
  });

  it('readFileInRoot follows image symlinks inside the root only, caps the size and refuses non-files', async () => {
    await apply([
      { name: 'etc/passwd', type: 'symlink', linkname: '/../../../../../etc/real-passwd' },
      { name: 'etc/real-passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
      { name: 'etc/group', type: 'symlink', linkname: '/etc' },
      { name: 'big', content: 'x'.repeat(100) },
    ]);
    expect((await readFileInRoot(root, '/etc/passwd', { maxSize: 4096 }))?.toString()).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(await readFileInRoot(root, '/etc/missing', { maxSize: 4096 })).toBeUndefined();
    expect(await codeOf(readFileInRoot(root, '/etc/group', { maxSize: 4096 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(readFileInRoot(root, '/big', { maxSize: 99 }))).toBe('LIMIT_EXCEEDED');
  });

  it('readFileInRoot never opens a device node or FIFO the image puts at the path (opening one can have effects: a watchdog, a tty)', async () => {
    // 0:1 is no registered character device: open(2) would fail with ENXIO, so the error shows whether it was opened.
    // Device nodes need root (tests run as root here and in CI); the FIFO is checked either way.
    const entries: E[] = [{ name: 'etc/group', type: 'fifo', mode: 0o644 }];
    if (isRoot) entries.push({ name: 'etc/passwd', type: 'character-device', devmajor: 0, devminor: 1, mode: 0o644 });
    await apply(entries);
    for (const p of isRoot ? ['/etc/passwd', '/etc/group'] : ['/etc/group']) {
      const e = await readFileInRoot(root, p, { maxSize: 4096 }).then(() => undefined, (x: unknown) => x as { code: string; message: string });
      expect(e?.code).toBe('INVALID_ARGUMENT');
      expect(e?.message).toMatch(/is not a regular file/);
    }
  });

  it('mkdirInRoot creates WorkingDir through image symlinks, inside the root', async () => {
    await apply([
      { name: 'home', type: 'symlink', linkname: '../../../../var/home' },
      { name: 'file', content: 'f' },
    ]);
    const host = await mkdirInRoot(root, '/home/app/work');
    expect(host).toBe(path.join(root, 'var/home/app/work'));
    expect((await stat(host)).isDirectory()).toBe(true);
    expect(await codeOf(mkdirInRoot(root, '/file/sub'))).toBe('INVALID_ARGUMENT');
  });
});
