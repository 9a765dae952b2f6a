/**
 * Decoding one 512-byte tar header block and PAX extended-header records, byte-exact.
 *
 * Formats: POSIX ustar (name prefix), GNU (`ustar  `, long names through `L`/`K` records) and v7.
 * Numbers: octal (padded with spaces or NULs) or GNU base-256; the checksum is verified (unsigned or
 * signed sum, as Go's archive/tar accepts). Names are UTF-8 (others are refused: Node's file APIs take
 * strings). PAX values are kept as raw bytes, because `SCHILY.xattr.*` values (security.capability)
 * are binary — the reason this is not tar-stream, whose PAX decoder turns them into UTF-8 text.
 *
 * @module rootfs/tar-header
 */
import { err, ErrorCode } from '../errors.js';

export const BLOCK = 512;

/** A header block as stored (before PAX / GNU long-name records are applied). */
export interface RawHeader {
  /** The type flag character (`'0'`, `'5'`, `'x'`…; `'\0'` is returned as `'0'` or `'5'`, see below). */
  typeflag: string;
  name: string;
  linkname: string;
  /** Permission bits and setuid/setgid/sticky (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content that follow the header (padded to 512). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  devmajor: number;
  devminor: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function field(block: Buffer, start: number, len: number): Buffer {
  const f = block.subarray(start, start + len);
  const nul = f.indexOf(0);
  return nul === -1 ? f : f.subarray(0, nul);
}

/** Decode bytes as UTF-8 or throw `UNSUPPORTED`. */
export function decodeName(bytes: Buffer, layer: string, what: string): string {
  // Fast path: plain ASCII.
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return bytes.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    throw err(ErrorCode.Unsupported, `layer ${layer} has an entry whose ${what} is not valid UTF-8 (${bytes.toString('hex').slice(0, 64)}…); magikrun unpacks UTF-8 names only`, {
      layer,
    });
  }
}

/** A numeric header field: octal, or GNU base-256 when the first byte has its high bit set. */
export function parseNumeric(block: Buffer, start: number, len: number, layer: string, what: string): number {
  const first = block[start]!;
  if (first & 0x80) {
    if (first === 0xff) throw err(ErrorCode.InvalidArgument, `layer ${layer} has a tar header with a negative ${what}`, { layer });
    let v = first & 0x7f;
    for (let i = start + 1; i < start + len; i++) {
      v = v * 256 + block[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw err(ErrorCode.InvalidArgument, `layer ${layer} has a tar header whose ${what} is too large`, { layer });
    }
    return v;
  }
  let i = start;
  const end = start + len;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw err(ErrorCode.InvalidArgument, `layer ${layer} has a tar header whose ${what} is not an octal number`, { layer });
    v = v * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) {
    if (block[i] !== 0x20 && block[i] !== 0) throw err(ErrorCode.InvalidArgument, `layer ${layer} has a tar header whose ${what} is not an octal number`, { layer });
  }
  return digits === 0 ? 0 : v;
}

/** True when all 512 bytes are zero (an end-of-archive block). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 8) {
    if (block.readBigUInt64LE(i) !== 0n) return false;
  }
  return true;
}

function checksumOk(block: Buffer, layer: string): boolean {
  const stored = parseNumeric(block, 148, 8, layer, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b >= 0x80 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/**
 * Decode one header block (not a zero block).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (bad checksum, bad number, unknown magic), `UNSUPPORTED` (non-UTF-8 name).
 */
export function decodeHeader(block: Buffer, layer: string): RawHeader {
  if (!checksumOk(block, layer)) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer} is not a valid tar archive: a header checksum does not match (corrupt or not a tar)`, { layer });
  }
  const magic = block.subarray(257, 263).toString('latin1');
  const ustar = magic === 'ustar\0';
  const gnu = magic === 'ustar ';
  if (!ustar && !gnu && !block.subarray(257, 265).every((b) => b === 0)) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer} is not a valid tar archive: unknown header format`, { layer });
  }
  let nameBytes = field(block, 0, 100);
  if (ustar && block[345] !== 0) {
    nameBytes = Buffer.concat([field(block, 345, 155), Buffer.from('/'), nameBytes]);
  }
  const name = decodeName(nameBytes, layer, 'name');
  let typeflag = block[156] === 0 ? '\0' : String.fromCharCode(block[156]!);
  // Go's archive/tar: the old "regular file" flag NUL with a trailing slash is a directory.
  if (typeflag === '\0') typeflag = name.endsWith('/') ? '5' : '0';
  return {
    typeflag,
    name,
    linkname: decodeName(field(block, 157, 100), layer, 'link target'),
    mode: parseNumeric(block, 100, 8, layer, 'mode') & 0o7777,
    uid: parseNumeric(block, 108, 8, layer, 'uid'),
    gid: parseNumeric(block, 116, 8, layer, 'gid'),
    size: parseNumeric(block, 124, 12, layer, 'size'),
    mtime: parseNumeric(block, 136, 12, layer, 'mtime'),
    devmajor: ustar || gnu ? parseNumeric(block, 329, 8, layer, 'devmajor') : 0,
    devminor: ustar || gnu ? parseNumeric(block, 337, 8, layer, 'devminor') : 0,
  };
}

/**
 * PAX extended-header records (`"%d %s=%s\n"`), keys as text and values as raw bytes.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a malformed record.
 */
export function parsePax(buf: Buffer, layer: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  const bad = (why: string) => err(ErrorCode.InvalidArgument, `layer ${layer} has a malformed PAX header: ${why}`, { layer });
  while (off < buf.length) {
    // GNU tar pads the record block with NULs.
    if (buf[off] === 0) {
      if (buf.subarray(off).every((b) => b === 0)) break;
      throw bad('NUL inside the records');
    }
    const sp = buf.indexOf(0x20, off);
    if (sp === -1 || sp - off > 10) throw bad('no record length');
    const lenText = buf.subarray(off, sp).toString('latin1');
    if (!/^[1-9][0-9]*$/.test(lenText)) throw bad(`record length ${JSON.stringify(lenText)}`);
    const len = Number(lenText);
    const end = off + len;
    if (end > buf.length || buf[end - 1] !== 0x0a) throw bad('a record overruns the header or lacks its newline');
    const eq = buf.indexOf(0x3d, sp + 1);
    if (eq === -1 || eq >= end - 1 || eq === sp + 1) throw bad('a record without key=value');
    const key = decodeName(buf.subarray(sp + 1, eq), layer, 'PAX key');
    out.set(key, Buffer.from(buf.subarray(eq + 1, end - 1)));
    off = end;
  }
  return out;
}
