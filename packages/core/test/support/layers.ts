/**
 * Layer fixtures for the rootfs tests: tar archives from tar-stream's packer, hand-made header blocks
 * for what tar-stream cannot express (binary PAX values, bad checksums, GNU records, sparse types),
 * compression by the real `gzip` and `zstd` tools, layers stored in a BlobStore, and a canary tree whose
 * every byte, mode and link count is recorded so a test can prove nothing outside the rootfs changed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, link, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tar, { type Header } from 'tar-stream';
import type { Descriptor } from '../../src/image/manifest.js';
import { MediaType } from '../../src/image/media-types.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { sha256Digest } from '../../src/storage/digest.js';

/** A tar-stream entry plus its content. */
export type E = Partial<Header> & { name: string; content?: string | Buffer };

/** A tar archive of `entries` (tar-stream's packer: ustar + PAX for long names). */
export async function tarOf(entries: E[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const { content, ...h } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: 0o644, mtime: new Date(1_600_000_000_000), ...h }, content ?? '', (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Fields of a hand-made header block. */
export interface RawFields {
  name: string | Buffer;
  typeflag?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** 'ustar' (POSIX, default), 'gnu' or 'v7'. */
  format?: 'ustar' | 'gnu' | 'v7';
  /** Write this value in the checksum field instead of the right one. */
  badChecksum?: boolean;
  /** Raw bytes for the size field (e.g. base-256). */
  sizeField?: Buffer;
}

function octal(n: number, len: number): Buffer {
  return Buffer.from(n.toString(8).padStart(len - 1, '0') + '\0', 'latin1');
}

/** One 512-byte header block. */
export function rawHeader(f: RawFields): Buffer {
  const b = Buffer.alloc(512);
  (typeof f.name === 'string' ? Buffer.from(f.name) : f.name).copy(b, 0, 0, 100);
  octal(f.mode ?? 0o644, 8).copy(b, 100);
  octal(f.uid ?? 0, 8).copy(b, 108);
  octal(f.gid ?? 0, 8).copy(b, 116);
  (f.sizeField ?? octal(f.size ?? 0, 12)).copy(b, 124);
  octal(f.mtime ?? 1_600_000_000, 12).copy(b, 136);
  b.write(f.typeflag ?? '0', 156, 'latin1');
  if (f.linkname) Buffer.from(f.linkname).copy(b, 157, 0, 100);
  const format = f.format ?? 'ustar';
  if (format === 'ustar') b.write('ustar\x0000', 257, 'latin1');
  if (format === 'gnu') b.write('ustar  \0', 257, 'latin1');
  if (format !== 'v7') {
    octal(f.devmajor ?? 0, 8).copy(b, 329);
    octal(f.devminor ?? 0, 8).copy(b, 337);
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  Buffer.from(sum.toString(8).padStart(6, '0') + '\0 ', 'latin1').copy(b, 148);
  if (f.badChecksum) b.write('000001\0 ', 148, 'latin1');
  return b;
}

/** Content padded to a multiple of 512 bytes. */
export function padded(data: Buffer): Buffer {
  const pad = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(pad)]);
}

/** A raw entry: header + padded content. */
export function rawEntry(f: RawFields, data: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([rawHeader({ ...f, size: f.size ?? data.length }), padded(data)]);
}

/** PAX records `"%d key=value\n"` (value bytes kept as they are). */
export function paxRecords(records: [string, string | Buffer][]): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), typeof v === 'string' ? Buffer.from(v) : v, Buffer.from('\n')]);
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len = String(len).length + body.length;
      return Buffer.concat([Buffer.from(String(len)), body]);
    }),
  );
}

/** A PAX extended header entry for the next entry. */
export function paxEntry(records: [string, string | Buffer][], typeflag = 'x'): Buffer {
  return rawEntry({ name: 'PaxHeaders/x', typeflag }, paxRecords(records));
}

/** End-of-archive: two zero blocks. */
export const END = Buffer.alloc(1024);

/** Compress with a real tool (`gzip`, `zstd`), failing the test when the tool fails. */
export function compressWith(tool: 'gzip' | 'zstd', data: Buffer, args: string[] = []): Buffer {
  const r = spawnSync(tool, [...args, '-c'], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A layer stored in `store`, with the diff_id of its uncompressed tar. */
export interface StoredLayer {
  descriptor: Descriptor;
  diffId: string;
}

/** Store `tarBytes` as a layer compressed as asked (gzip and zstd by the real tools). */
export async function storeLayer(store: BlobStore, tarBytes: Buffer, compression: 'gzip' | 'zstd' | 'none' = 'gzip'): Promise<StoredLayer> {
  const blob = compression === 'none' ? tarBytes : compressWith(compression, tarBytes);
  const mediaType = compression === 'gzip' ? MediaType.OciLayerTarGzip : compression === 'zstd' ? MediaType.OciLayerTarZstd : MediaType.OciLayerTar;
  return storeBlob(store, blob, mediaType, sha256Digest(tarBytes));
}

/** Store an arbitrary blob as a layer of `mediaType` with the given diff_id. */
export async function storeBlob(store: BlobStore, blob: Buffer, mediaType: string, diffId: string): Promise<StoredLayer> {
  const digest = sha256Digest(blob);
  await store.put(digest, blob);
  return { descriptor: { mediaType, digest, size: blob.length }, diffId };
}

/**
 * Build the canary tree at `dir`: files with odd modes, a hard-linked pair, a setuid file, a symlink,
 * a private subdirectory.
 */
export async function makeCanary(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'secret'), 'host secret');
  await chmod(path.join(dir, 'secret'), 0o640);
  await writeFile(path.join(dir, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await writeFile(path.join(dir, 'hl-a'), 'linked');
  await link(path.join(dir, 'hl-a'), path.join(dir, 'hl-b'));
  await writeFile(path.join(dir, 'suid'), 'suid');
  await chmod(path.join(dir, 'suid'), 0o4755);
  await symlink('secret', path.join(dir, 'link'));
  await writeFile(path.join(dir, 'sub', 'deep'), 'deep');
  await chmod(path.join(dir, 'sub'), 0o700);
}

/** Every name under `dir` with type, mode, owner, link count, size, content hash and link target, in order. */
export async function treeState(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const p = path.join(dir, rel);
    const st = await lstat(p);
    let extra = '';
    if (st.isSymbolicLink()) extra = `-> ${await readlink(p)}`;
    else if (st.isFile()) extra = createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 16);
    out.push(`${rel || '.'} mode=${st.mode.toString(8)} uid=${st.uid} gid=${st.gid} nlink=${st.nlink} size=${st.isDirectory() ? '-' : st.size} mtime=${st.mtimeMs} ${extra}`);
    if (st.isDirectory()) for (const c of (await readdir(p)).sort()) await walk(rel ? `${rel}/${c}` : c);
  };
  await walk('');
  return out;
}
