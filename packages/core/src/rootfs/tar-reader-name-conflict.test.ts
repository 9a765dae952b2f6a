/**
 * An entry that names itself twice — a PAX `path`/`linkpath` record and a GNU long-name (`L`) or
 * long-link (`K`) record — with two different values. Tar readers disagree on which one applies, so the
 * name a scanner sees may not be the name magikrun writes: the real GNU tar and Python's tarfile are run
 * on the same hand-made bytes to record what they read. Agreeing records, and every single-source case,
 * stay accepted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMagikrunError, type MagikrunError } from '../errors.js';
import { END, paxEntry, rawEntry } from '../../test/support/layers.js';
import { TarReader, type TarEntry } from './tar-reader.js';

const LAYER = 'sha256:conflict';

let dir: string;
let seq = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-tar-conflict-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A GNU long-name (`L`) or long-link (`K`) record, as GNU tar writes it (NUL-terminated, `././@LongLink`). */
function gnuLong(typeflag: 'L' | 'K', value: string): Buffer {
  return rawEntry({ name: '././@LongLink', typeflag, format: 'gnu' }, Buffer.from(`${value}\0`));
}

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

/** What magikrun's reader makes of the archive: its entries, or the MagikrunError it throws. */
async function magikrun(archive: Buffer): Promise<{ entries: Pick<TarEntry, 'name' | 'linkname'>[] } | { error: MagikrunError }> {
  const r = new TarReader(once(archive), LAYER, { maxEntries: 100, maxPaxHeaderSize: 1 << 16, maxPathLength: 4096 });
  const entries: Pick<TarEntry, 'name' | 'linkname'>[] = [];
  try {
    for (let e = await r.next(); e; e = await r.next()) entries.push({ name: e.name, linkname: e.linkname });
  } catch (e) {
    if (!isMagikrunError(e)) throw e;
    return { error: e };
  }
  return { entries };
}

/** [name, link target] of each entry as the real GNU tar (`tar -tv`) and Python's tarfile read them. */
async function otherReaders(archive: Buffer): Promise<{ gnuTar: string[][]; python: string[][] }> {
  const file = path.join(dir, `a${seq++}.tar`);
  await writeFile(file, archive);
  const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  // "-rw-r--r-- 0/0  2 2020-09-13 12:26 NAME" or "lrw-r--r-- 0/0  0 2020-09-13 12:26 NAME -> TARGET"
  const gnuTar = listing
    .trim()
    .split('\n')
    .map((line) => {
      const rest = line.replace(/^\S+\s+\S+\s+\d+\s+\S+\s+\S+\s/, '');
      return line.startsWith('l') ? rest.split(' -> ') : [rest, ''];
    });
  const python = JSON.parse(
    execFileSync('python3', ['-c', 'import json,sys,tarfile; print(json.dumps([[m.name, m.linkname] for m in tarfile.open(sys.argv[1])]))', file], { encoding: 'utf8' }),
  ) as string[][];
  return { gnuTar, python };
}

const file = (name = 'hdr-name') => rawEntry({ name }, Buffer.from('hi'));
const symlink = (target = 'hdr-target') => rawEntry({ name: 's', typeflag: '2', linkname: target });

describe('TarReader: a PAX record and a GNU long-name record that disagree', () => {
  const cases: {
    what: string;
    archive: () => Buffer;
    /** What GNU tar 1.34 and Python 3.11's tarfile read, [name, link target]. */
    gnuTar: string[];
    python: string[];
    details: Record<string, unknown>;
  }[] = [
    {
      what: 'name: PAX path record, then GNU long name',
      archive: () => Buffer.concat([paxEntry([['path', 'pax-name']]), gnuLong('L', 'gnu-name'), file(), END]),
      gnuTar: ['pax-name', ''],
      python: ['pax-name', ''],
      details: { layer: LAYER, paxPath: 'pax-name', gnuLongName: 'gnu-name' },
    },
    {
      what: 'name: GNU long name, then PAX path record',
      archive: () => Buffer.concat([gnuLong('L', 'gnu-name'), paxEntry([['path', 'pax-name']]), file(), END]),
      gnuTar: ['pax-name', ''],
      python: ['gnu-name', ''],
      details: { layer: LAYER, paxPath: 'pax-name', gnuLongName: 'gnu-name' },
    },
    {
      what: 'link target: PAX linkpath record, then GNU long link',
      archive: () => Buffer.concat([paxEntry([['linkpath', 'pax-target']]), gnuLong('K', 'gnu-target'), symlink(), END]),
      gnuTar: ['s', 'pax-target'],
      python: ['s', 'pax-target'],
      details: { layer: LAYER, entry: 's', paxLinkpath: 'pax-target', gnuLongLink: 'gnu-target' },
    },
    {
      what: 'link target: GNU long link, then PAX linkpath record',
      archive: () => Buffer.concat([gnuLong('K', 'gnu-target'), paxEntry([['linkpath', 'pax-target']]), symlink(), END]),
      gnuTar: ['s', 'pax-target'],
      python: ['s', 'gnu-target'],
      details: { layer: LAYER, entry: 's', paxLinkpath: 'pax-target', gnuLongLink: 'gnu-target' },
    },
  ];

  for (const { what, archive, gnuTar, python, details } of cases) {
    it(`${what}: refused (INVALID_ARGUMENT), because GNU tar and Python read another name`, async () => {
      const bytes = archive();
      // Why magikrun must refuse: GNU tar always applies the PAX record, Python's tarfile the record that
      // comes first, Go's archive/tar (and magikrun before this check) the GNU one.
      expect(await otherReaders(bytes)).toEqual({ gnuTar: [gnuTar], python: [python] });
      const r = await magikrun(bytes);
      expect(r, `magikrun read ${JSON.stringify('entries' in r ? r.entries : null)}`).toHaveProperty('error');
      const { error } = r as { error: MagikrunError };
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.details).toEqual(details);
      expect(error.message).toContain(LAYER);
      for (const v of Object.values(details)) expect(error.message).toContain(String(v));
    });
  }
});

describe('TarReader: names given once, or twice alike, are read as before', () => {
  const cases: { what: string; archive: () => Buffer; expected: [string, string] }[] = [
    { what: 'header fields only', archive: () => Buffer.concat([file('hdr-name'), END]), expected: ['hdr-name', ''] },
    { what: 'header link field only', archive: () => Buffer.concat([symlink('hdr-target'), END]), expected: ['s', 'hdr-target'] },
    { what: 'PAX path over the header name', archive: () => Buffer.concat([paxEntry([['path', 'pax-name']]), file(), END]), expected: ['pax-name', ''] },
    { what: 'GNU long name over the header name', archive: () => Buffer.concat([gnuLong('L', 'gnu-name'), file(), END]), expected: ['gnu-name', ''] },
    { what: 'PAX linkpath over the header link', archive: () => Buffer.concat([paxEntry([['linkpath', 'pax-target']]), symlink(), END]), expected: ['s', 'pax-target'] },
    { what: 'GNU long link over the header link', archive: () => Buffer.concat([gnuLong('K', 'gnu-target'), symlink(), END]), expected: ['s', 'gnu-target'] },
    { what: 'PAX path, then an equal GNU long name', archive: () => Buffer.concat([paxEntry([['path', 'same-name']]), gnuLong('L', 'same-name'), file(), END]), expected: ['same-name', ''] },
    { what: 'GNU long name, then an equal PAX path', archive: () => Buffer.concat([gnuLong('L', 'same-name'), paxEntry([['path', 'same-name']]), file(), END]), expected: ['same-name', ''] },
    { what: 'PAX linkpath, then an equal GNU long link', archive: () => Buffer.concat([paxEntry([['linkpath', 'same-target']]), gnuLong('K', 'same-target'), symlink(), END]), expected: ['s', 'same-target'] },
    { what: 'GNU long link, then an equal PAX linkpath', archive: () => Buffer.concat([gnuLong('K', 'same-target'), paxEntry([['linkpath', 'same-target']]), symlink(), END]), expected: ['s', 'same-target'] },
    {
      what: 'PAX path with a GNU long link, and GNU long name with a PAX linkpath (different fields do not conflict)',
      archive: () =>
        Buffer.concat([
          paxEntry([['path', 'pax-name']]),
          gnuLong('K', 'gnu-target'),
          rawEntry({ name: 'h1', typeflag: '2', linkname: 'hdr-target' }),
          gnuLong('L', 'gnu-name'),
          paxEntry([['linkpath', 'pax-target']]),
          rawEntry({ name: 'h2', typeflag: '2', linkname: 'hdr-target' }),
          END,
        ]),
      expected: ['pax-name', 'gnu-target'],
    },
  ];

  for (const { what, archive, expected } of cases) {
    it(what, async () => {
      const bytes = archive();
      const r = await magikrun(bytes);
      expect(r).toHaveProperty('entries');
      const { entries } = r as { entries: Pick<TarEntry, 'name' | 'linkname'>[] };
      expect([entries[0]!.name, entries[0]!.linkname]).toEqual(expected);
      // Every reader agrees here.
      const others = await otherReaders(bytes);
      const ours = entries.map((e) => [e.name, e.linkname]);
      expect(others).toEqual({ gnuTar: ours, python: ours });
    });
  }
});
