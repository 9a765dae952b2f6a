/**
 * Raw file-descriptor operations for the hot path of the applier (one regular file = open, write,
 * futimes, close, plus fchown/fchmod only when needed). Plain fds instead of FileHandle objects: a
 * FileHandle costs far more per file than the syscalls it wraps, which shows on a 30 000-file layer.
 *
 * @module rootfs/fd-ops
 */
import { close, fchmod, fchown, futimes, open, write } from 'node:fs';

/** open(2) → fd. */
export function openFd(p: string, flags: number, mode: number): Promise<number> {
  return new Promise((resolve, reject) => open(p, flags, mode, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Write all of `buf` at the current offset. */
export async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    off += await new Promise<number>((resolve, reject) => write(fd, buf, off, buf.length - off, null, (e, n) => (e ? reject(e) : resolve(n))));
  }
}

export function fchownFd(fd: number, uid: number, gid: number): Promise<void> {
  return new Promise((resolve, reject) => fchown(fd, uid, gid, (e) => (e ? reject(e) : resolve())));
}

export function fchmodFd(fd: number, mode: number): Promise<void> {
  return new Promise((resolve, reject) => fchmod(fd, mode, (e) => (e ? reject(e) : resolve())));
}

/** futimes(2); times in seconds since the epoch. */
export function futimesFd(fd: number, atime: number, mtime: number): Promise<void> {
  return new Promise((resolve, reject) => futimes(fd, atime, mtime, (e) => (e ? reject(e) : resolve())));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));
}
