/**
 * A streaming tar reader for image layers: yields one {@link TarEntry} at a time with PAX and GNU
 * long-name records applied, and the entry's content as chunks.
 *
 * Follows Go's archive/tar (what containerd, umoci and Docker read layers with): PAX `path`,
 * `linkpath`, `size`, `uid`, `gid`, `mtime`, `atime` and `SCHILY.xattr.*` records; PAX and GNU
 * long-name (`L`) / long-link (`K`) records both override the header's name fields; PAX global headers
 * are read and ignored (as containerd does); an end-of-archive of one or two zero blocks; a stream
 * ending exactly at a header boundary is accepted (the layer's diff_id, always checked by the caller,
 * catches a cut there). Refused: GNU sparse entries (`S`, PAX `GNU.sparse.*`) and other type flags
 * (`UNSUPPORTED`); bad checksums, numbers, PAX records, a body cut short, a uid or gid above
 * {@link MAX_OWNER_ID} (`INVALID_ARGUMENT`); an entry whose PAX `path` and GNU long name, or PAX
 * `linkpath` and GNU long link, both present, differ (`INVALID_ARGUMENT`): readers disagree on which
 * applies — Go's archive/tar takes the GNU record, GNU tar the PAX one, Python's tarfile whichever comes
 * first — so a scanner could see another file than the one written; equal records are accepted; PAX
 * or long-name records above the limits, too many headers (`LIMIT_EXCEEDED`).
 *
 * @module rootfs/tar-reader
 */
import { err, ErrorCode } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { BLOCK, decodeHeader, decodeName, isZeroBlock, parsePax } from './tar-header.js';

/** The entry types a layer may contain. */
export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

/** One tar entry, with its extended records applied. */
export interface TarEntry {
  /** The name as stored (not yet checked or normalised: see entry-name). */
  name: string;
  /** Hard link or symlink target, as stored. */
  linkname: string;
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Content size in bytes (regular files). */
  size: number;
  /** Modification time, seconds since the epoch (PAX gives fractions). */
  mtime: number;
  /** Access time (PAX `atime`), seconds, when present. */
  atime: number | undefined;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.NAME` records: name → raw value. */
  xattrs: Map<string, Buffer> | undefined;
  /** Extended-attribute records in a form magikrun does not apply (e.g. `LIBARCHIVE.xattr.*`), by key. */
  ignoredRecords: string[];
}

/** Limits of {@link TarReader}. */
export interface TarReaderLimits {
  /** Most headers (entries and extended records). */
  maxEntries: number;
  /** Largest PAX header, in bytes. */
  maxPaxHeaderSize: number;
  /** Longest name or link target (GNU long-name records are capped at this + 1), in bytes. */
  maxPathLength: number;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

const XATTR_PREFIX = 'SCHILY.xattr.';

/** Largest uid/gid an entry may carry: 2^32 − 2 (uid_t is 32 bits, and chown(2) reads 2^32 − 1 as "leave unchanged"). */
export const MAX_OWNER_ID = 2 ** 32 - 2;

function paxInt(v: Buffer, key: string, layer: string): number {
  const s = v.toString('latin1');
  if (!/^[0-9]{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer} has a PAX ${key} record that is not a number: ${JSON.stringify(s.slice(0, 40))}`, { layer });
  }
  return Number(s);
}

function paxTime(v: Buffer, key: string, layer: string): number {
  const s = v.toString('latin1');
  if (!/^-?[0-9]{1,19}(\.[0-9]{0,19})?$/.test(s)) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer} has a PAX ${key} record that is not a time: ${JSON.stringify(s.slice(0, 40))}`, { layer });
  }
  return Number(s);
}

/** Reads tar entries from the uncompressed layer bytes. */
export class TarReader {
  private readonly src: ByteReader;
  private remaining = 0;
  private padding = 0;
  private headers = 0;
  private finished = false;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly layer: string,
    private readonly limits: TarReaderLimits,
  ) {
    this.src = new ByteReader(source);
  }

  private truncated(): never {
    throw err(ErrorCode.InvalidArgument, `layer ${this.layer} is truncated: the tar stream ends inside an entry`, { layer: this.layer });
  }

  private async readBlock(): Promise<Buffer | null> {
    const b = await this.src.read(BLOCK);
    if (b.length === 0) return null;
    if (b.length < BLOCK) this.truncated();
    return b;
  }

  /** Skip what is left of the current entry's content and its padding. */
  private async skipRest(): Promise<void> {
    const n = this.remaining + this.padding;
    if (n > 0 && (await this.src.skip(n)) < n) this.truncated();
    this.remaining = 0;
    this.padding = 0;
  }

  /** Read a whole extended record's content (size already checked against its limit). */
  private async readRecord(size: number): Promise<Buffer> {
    const b = Buffer.from(await this.src.read(size));
    if (b.length < size) this.truncated();
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if ((await this.src.skip(pad)) < pad) this.truncated();
    return b;
  }

  private countHeader(): void {
    if (++this.headers > this.limits.maxEntries) {
      throw err(ErrorCode.LimitExceeded, `layer ${this.layer} has more than ${this.limits.maxEntries} tar entries (the entry limit)`, {
        layer: this.layer,
        limit: 'maxLayerEntries',
        max: this.limits.maxEntries,
      });
    }
  }

  /**
   * The next entry, or `null` at the end of the archive (the rest of the stream is then read and
   * discarded, so a hash over it completes). Unread content of the previous entry is skipped.
   */
  async next(): Promise<TarEntry | null> {
    if (this.finished) return null;
    await this.skipRest();
    let pax: Map<string, Buffer> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const block = await this.readBlock();
      if (block === null) {
        if (pax || longName !== undefined || longLink !== undefined) this.truncated();
        return this.finish();
      }
      if (isZeroBlock(block)) {
        if (pax || longName !== undefined || longLink !== undefined) this.truncated();
        const second = await this.readBlock();
        if (second !== null && !isZeroBlock(second)) {
          throw err(ErrorCode.InvalidArgument, `layer ${this.layer} is not a valid tar archive: a single zero block inside the archive`, { layer: this.layer });
        }
        return this.finish();
      }
      this.countHeader();
      const h = decodeHeader(block, this.layer);
      switch (h.typeflag) {
        case 'x':
        case 'g': {
          if (h.size > this.limits.maxPaxHeaderSize) {
            throw err(ErrorCode.LimitExceeded, `layer ${this.layer} has a PAX header of ${h.size} bytes, more than the limit of ${this.limits.maxPaxHeaderSize}`, {
              layer: this.layer,
              limit: 'maxPaxHeaderSize',
              max: this.limits.maxPaxHeaderSize,
              value: h.size,
            });
          }
          const records = parsePax(await this.readRecord(h.size), this.layer);
          // Global headers are ignored, as by containerd (Go's reader does not merge them either).
          if (h.typeflag === 'x') pax = records;
          continue;
        }
        case 'L':
        case 'K': {
          if (h.size > this.limits.maxPathLength + 1) {
            throw err(ErrorCode.LimitExceeded, `layer ${this.layer} has a GNU long ${h.typeflag === 'L' ? 'name' : 'link target'} of ${h.size} bytes, more than the limit of ${this.limits.maxPathLength}`, {
              layer: this.layer,
              limit: 'maxPathLength',
              max: this.limits.maxPathLength,
              value: h.size,
            });
          }
          const raw = await this.readRecord(h.size);
          const nul = raw.indexOf(0);
          const text = decodeName(nul === -1 ? raw : raw.subarray(0, nul), this.layer, 'long name');
          if (h.typeflag === 'L') longName = text;
          else longLink = text;
          continue;
        }
        case 'S':
          throw err(ErrorCode.Unsupported, `layer ${this.layer} has a GNU sparse entry ${JSON.stringify(h.name)}; magikrun does not unpack sparse files — rebuild the layer without --sparse`, {
            layer: this.layer,
            entry: h.name,
          });
        default:
          break;
      }
      const type = TYPES[h.typeflag];
      if (!type) {
        throw err(ErrorCode.Unsupported, `layer ${this.layer} has an entry ${JSON.stringify(h.name)} of tar type ${JSON.stringify(h.typeflag)}, which an image layer cannot use`, {
          layer: this.layer,
          entry: h.name,
          typeflag: h.typeflag,
        });
      }
      const entry: TarEntry = {
        name: h.name,
        linkname: h.linkname,
        type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        size: h.size,
        mtime: h.mtime,
        atime: undefined,
        devmajor: h.devmajor,
        devminor: h.devminor,
        xattrs: undefined,
        ignoredRecords: [],
      };
      if (pax) this.applyPax(entry, pax);
      if (entry.uid > MAX_OWNER_ID || entry.gid > MAX_OWNER_ID) {
        throw err(ErrorCode.InvalidArgument, `layer ${this.layer} has an entry ${JSON.stringify(entry.name)} owned by ${entry.uid}:${entry.gid}; owner ids must be at most ${MAX_OWNER_ID}`, {
          layer: this.layer,
          entry: entry.name,
        });
      }
      // applyPax has put a PAX path / linkpath in the entry: a GNU record must agree with it.
      if (longName !== undefined) {
        if (pax?.has('path') && entry.name !== longName) {
          throw err(
            ErrorCode.InvalidArgument,
            `layer ${this.layer} has an entry named twice: PAX path ${JSON.stringify(entry.name)} and GNU long name ${JSON.stringify(longName)}; ` +
              'tar readers disagree on which applies, so magikrun refuses the layer',
            { layer: this.layer, paxPath: entry.name, gnuLongName: longName },
          );
        }
        entry.name = longName;
      }
      if (longLink !== undefined) {
        if (pax?.has('linkpath') && entry.linkname !== longLink) {
          throw err(
            ErrorCode.InvalidArgument,
            `layer ${this.layer} has an entry ${JSON.stringify(entry.name)} whose link target is given twice: PAX linkpath ${JSON.stringify(entry.linkname)} and GNU long link ${JSON.stringify(longLink)}; ` +
              'tar readers disagree on which applies, so magikrun refuses the layer',
            { layer: this.layer, entry: entry.name, paxLinkpath: entry.linkname, gnuLongLink: longLink },
          );
        }
        entry.linkname = longLink;
      }
      // Only regular files carry content: as in Go's archive/tar (isHeaderOnlyType), the size field of
      // links, directories, devices and FIFOs is ignored and the next header follows at once.
      if (type !== 'file') entry.size = 0;
      this.remaining = entry.size;
      this.padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
      return entry;
    }
  }

  private applyPax(entry: TarEntry, pax: Map<string, Buffer>): void {
    const layer = this.layer;
    for (const [key, value] of pax) {
      if (key.startsWith('GNU.sparse.')) {
        throw err(ErrorCode.Unsupported, `layer ${layer} has a PAX sparse entry (${key}); magikrun does not unpack sparse files — rebuild the layer without --sparse`, { layer });
      }
      if (key.startsWith(XATTR_PREFIX)) {
        const name = key.slice(XATTR_PREFIX.length);
        (entry.xattrs ??= new Map()).set(name, value);
        continue;
      }
      if (key.startsWith('LIBARCHIVE.xattr.')) {
        entry.ignoredRecords.push(key);
        continue;
      }
      switch (key) {
        case 'path':
          entry.name = decodeName(value, layer, 'PAX path');
          break;
        case 'linkpath':
          entry.linkname = decodeName(value, layer, 'PAX linkpath');
          break;
        case 'size':
          entry.size = paxInt(value, key, layer);
          break;
        case 'uid':
          entry.uid = paxInt(value, key, layer);
          break;
        case 'gid':
          entry.gid = paxInt(value, key, layer);
          break;
        case 'mtime':
          entry.mtime = paxTime(value, key, layer);
          break;
        case 'atime':
          entry.atime = paxTime(value, key, layer);
          break;
        default:
          // uname, gname, ctime, comment, charset, SCHILY.dev… carry nothing a rootfs needs.
          break;
      }
    }
  }

  /** Stop reading (after an error): lets the decompressor and the blob stream clean up. */
  async close(): Promise<void> {
    this.finished = true;
    await this.src.close();
  }

  private async finish(): Promise<null> {
    this.finished = true;
    await this.src.drain();
    return null;
  }

  /**
   * The current entry's content, as chunks that stay valid only until the next read. Reading fewer
   * bytes than the entry holds is fine: {@link next} skips the rest.
   */
  async *body(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const chunk = await this.src.readSome(Math.min(this.remaining, 1 << 20));
      if (chunk.length === 0) this.truncated();
      this.remaining -= chunk.length;
      yield chunk;
    }
  }
}
