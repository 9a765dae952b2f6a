/**
 * The tar reader on hand-made archives: every format detail and malformation tar-stream cannot write.
 */
import { describe, expect, it } from 'vitest';
import { failure } from '../../test/support/outcome.js';
import { END, paxEntry, paxRecords, rawEntry, rawHeader, tarOf } from '../../test/support/layers.js';
import { TarReader, type TarEntry, type TarReaderLimits } from './tar-reader.js';

const LIMITS: TarReaderLimits = { maxEntries: 1000, maxPaxHeaderSize: 1 << 20, maxPathLength: 4096 };

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, off + size);
}

/** Every entry with its content, reading the input in chunks of `chunk` bytes. */
async function readAll(buf: Buffer, limits: Partial<TarReaderLimits> = {}, chunk = 777): Promise<(TarEntry & { data: string })[]> {
  const r = new TarReader(chunks(buf, chunk), 'sha256:test', { ...LIMITS, ...limits });
  const out: (TarEntry & { data: string })[] = [];
  for (let e = await r.next(); e; e = await r.next()) {
    const parts: Buffer[] = [];
    for await (const c of r.body()) parts.push(Buffer.from(c));
    out.push({ ...e, data: Buffer.concat(parts).toString() });
  }
  return out;
}

describe('TarReader: formats', () => {
  it('reads what tar-stream writes, across any chunking', async () => {
    const t = await tarOf([
      { name: 'a/', type: 'directory', mode: 0o755 },
      { name: 'a/f', content: 'x'.repeat(1000), mode: 0o4755, uid: 7, gid: 8 },
      { name: 'a/l', type: 'symlink', linkname: '../f' },
      { name: `${'p'.repeat(160)}/q`, content: 'long' },
    ]);
    for (const chunk of [1, 100, 512, 65536]) {
      const es = await readAll(t, {}, chunk);
      expect(es.map((e) => [e.name, e.type, e.data.length])).toEqual([
        ['a/', 'directory', 0],
        ['a/f', 'file', 1000],
        ['a/l', 'symlink', 0],
        [`${'p'.repeat(160)}/q`, 'file', 4],
      ]);
      expect(es[1]!.mode).toBe(0o4755);
      expect([es[1]!.uid, es[1]!.gid]).toEqual([7, 8]);
      expect(es[2]!.linkname).toBe('../f');
    }
  });

  it('v7 headers, GNU base-256 sizes, PAX uid/gid/size/atime, and ignored global headers', async () => {
    const size256 = Buffer.alloc(12);
    size256[0] = 0x80;
    size256.writeUInt32BE(3, 8);
    const t = Buffer.concat([
      rawEntry({ name: 'v7dir/', typeflag: '\0', format: 'v7' }),
      rawEntry({ name: 'big', sizeField: size256, format: 'gnu' }, Buffer.from('abc')),
      paxEntry([['comment', 'global']], 'g'),
      paxEntry([
        ['uid', '3000000000'],
        ['gid', '3000000001'],
        ['atime', '1700000000.25'],
        ['size', '2'],
      ]),
      rawEntry({ name: 'ids', size: 0 }, Buffer.from('hi')),
      END,
    ]);
    const es = await readAll(t);
    expect(es.map((e) => [e.name, e.type, e.data])).toEqual([
      ['v7dir/', 'directory', ''],
      ['big', 'file', 'abc'],
      ['ids', 'file', 'hi'],
    ]);
    expect([es[2]!.uid, es[2]!.gid, es[2]!.atime]).toEqual([3000000000, 3000000001, 1700000000.25]);
  });

  it('ignores the size field of header-only types, as Go does', async () => {
    const t = Buffer.concat([rawHeader({ name: 'd/', typeflag: '5', size: 1024 }), rawEntry({ name: 'f' }, Buffer.from('after')), END]);
    expect((await readAll(t)).map((e) => [e.name, e.data])).toEqual([
      ['d/', ''],
      ['f', 'after'],
    ]);
  });

  it('keeps binary PAX values byte-exact', async () => {
    const bin = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x80, 0x0a]);
    const t = Buffer.concat([paxEntry([['SCHILY.xattr.security.capability', bin]]), rawEntry({ name: 'f' }), END]);
    const [e] = await readAll(t);
    expect(e!.xattrs!.get('security.capability')!.equals(bin)).toBe(true);
  });

  it('accepts an archive without its end blocks (the diff_id catches a cut there) and discards trailing data', async () => {
    const t = Buffer.concat([rawEntry({ name: 'f' }, Buffer.from('x'))]);
    expect(await readAll(t)).toHaveLength(1);
    const trailing = Buffer.concat([rawEntry({ name: 'f' }), END, Buffer.from('junk after the end')]);
    expect(await readAll(trailing)).toHaveLength(1);
  });
});

/** Recompute a header's checksum after editing it, so that only the edit is wrong. */
function withChecksum(h: Buffer): Buffer {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

describe('TarReader: malformations are typed errors', () => {
  const cases: [string, () => Buffer, string][] = [
    ['a bad header checksum', () => Buffer.concat([rawHeader({ name: 'f', badChecksum: true }), END]), 'INVALID_ARGUMENT'],
    ['an unknown magic', () => {
      const h = rawHeader({ name: 'f' });
      h.write('xxxxxx', 257, 'latin1');
      return Buffer.concat([withChecksum(h), END]);
    }, 'INVALID_ARGUMENT'],
    ['a body cut short', () => rawEntry({ name: 'f', size: 2000 }, Buffer.from('short')).subarray(0, 700), 'INVALID_ARGUMENT'],
    ['a header cut short', () => rawHeader({ name: 'f' }).subarray(0, 300), 'INVALID_ARGUMENT'],
    ['an extended header without its entry', () => paxEntry([['path', 'x']]), 'INVALID_ARGUMENT'],
    ['a single zero block followed by a header', () => Buffer.concat([Buffer.alloc(512), rawEntry({ name: 'f' }), END]), 'INVALID_ARGUMENT'],
    ['a PAX record with a bad length', () => Buffer.concat([rawEntry({ name: 'p', typeflag: 'x' }, Buffer.from('99 path=x\n')), rawEntry({ name: 'f' }), END]), 'INVALID_ARGUMENT'],
    ['a PAX record without "="', () => Buffer.concat([rawEntry({ name: 'p', typeflag: 'x' }, Buffer.from('9 pathx\n')), rawEntry({ name: 'f' }), END]), 'INVALID_ARGUMENT'],
    ['a PAX size that is not a number', () => Buffer.concat([paxEntry([['size', '-1']]), rawEntry({ name: 'f' }), END]), 'INVALID_ARGUMENT'],
    ['an octal field with garbage', () => {
      const h = rawHeader({ name: 'f' });
      h.write('12x4567\0', 100, 'latin1');
      return Buffer.concat([withChecksum(h), END]);
    }, 'INVALID_ARGUMENT'],
    ['a negative base-256 number', () => rawHeader({ name: 'f', sizeField: Buffer.alloc(12, 0xff) }), 'INVALID_ARGUMENT'],
    ['a GNU sparse entry', () => Buffer.concat([rawEntry({ name: 'sparse', typeflag: 'S', format: 'gnu' }), END]), 'UNSUPPORTED'],
    ['a PAX sparse entry', () => Buffer.concat([paxEntry([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0']]), rawEntry({ name: 'GNUSparseFile.0/f' }), END]), 'UNSUPPORTED'],
    ['a volume label', () => Buffer.concat([rawEntry({ name: 'label', typeflag: 'V', format: 'gnu' }), END]), 'UNSUPPORTED'],
    ['a name that is not UTF-8', () => Buffer.concat([rawEntry({ name: Buffer.from([0x61, 0xff, 0xfe]) }), END]), 'UNSUPPORTED'],
    ['a PAX header over the limit', () => Buffer.concat([paxEntry([['comment', 'c'.repeat(5000)]]), rawEntry({ name: 'f' }), END]), 'LIMIT_EXCEEDED'],
    ['a GNU long name over the limit', () => Buffer.concat([rawEntry({ name: '././@LongLink', typeflag: 'L', format: 'gnu' }, Buffer.from('n'.repeat(3000))), rawEntry({ name: 'f' }), END]), 'LIMIT_EXCEEDED'],
    ['more headers than the limit', () => Buffer.concat([...Array.from({ length: 20 }, (_, i) => rawEntry({ name: `f${i}` })), END]), 'LIMIT_EXCEEDED'],
  ];
  it.each(cases)('%s', async (_what, make, code) => {
    const f = await failure(readAll(make(), { maxPaxHeaderSize: 4096, maxPathLength: 2048, maxEntries: 10 }));
    expect(f.code).toBe(code);
    expect(f.message).toMatch(/sha256:test/);
  });

  it('the checksum test above fails only on the checksum: the same header with its right checksum is read', async () => {
    expect(await readAll(Buffer.concat([rawHeader({ name: 'f' }), END]))).toHaveLength(1);
    const f = await failure(readAll(Buffer.concat([rawHeader({ name: 'f', badChecksum: true }), END])));
    expect(f.message).toMatch(/checksum/);
  });

  it('PAX record framing: exact lengths are accepted', async () => {
    const t = Buffer.concat([rawEntry({ name: 'p', typeflag: 'x' }, paxRecords([['path', 'renamed']])), rawEntry({ name: 'f' }), END]);
    expect((await readAll(t))[0]!.name).toBe('renamed');
  });
});
