/**
 * Pull-style reading of exact byte counts from a stream of chunks (the uncompressed layer), without
 * copying when a request fits inside the current chunk — the tar reader's only input.
 *
 * @module rootfs/byte-reader
 */

const EMPTY = Buffer.alloc(0);

/** Reads exact byte counts, or slices of at most a given size, from an async iterable of Buffers. */
export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private cur: Buffer = EMPTY;
  private off = 0;
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Bytes still buffered. */
  private get available(): number {
    return this.cur.length - this.off;
  }

  private async fill(): Promise<boolean> {
    while (!this.ended && this.available === 0) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      this.cur = r.value;
      this.off = 0;
    }
    return this.available > 0;
  }

  /**
   * Exactly `n` bytes, or — when the stream ends first — what was left (shorter, possibly empty).
   * The result may share memory with the source chunk; copy it before keeping it across reads.
   */
  async read(n: number): Promise<Buffer> {
    if (n === 0) return EMPTY;
    if (this.available === 0 && !(await this.fill())) return EMPTY;
    if (this.available >= n) {
      const out = this.cur.subarray(this.off, this.off + n);
      this.off += n;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      if (this.available === 0 && !(await this.fill())) break;
      const take = Math.min(need, this.available);
      parts.push(this.cur.subarray(this.off, this.off + take));
      this.off += take;
      need -= take;
    }
    return Buffer.concat(parts);
  }

  /** Up to `max` bytes (at least one unless the stream has ended: then an empty Buffer). */
  async readSome(max: number): Promise<Buffer> {
    if (max === 0) return EMPTY;
    if (this.available === 0 && !(await this.fill())) return EMPTY;
    const take = Math.min(max, this.available);
    const out = this.cur.subarray(this.off, this.off + take);
    this.off += take;
    return out;
  }

  /** Skip `n` bytes; returns how many were skipped (fewer when the stream ended). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.fill())) break;
      const take = Math.min(left, this.available);
      this.off += take;
      left -= take;
    }
    return n - left;
  }

  /** Stop reading: the source iterator is told to clean up (its `finally` blocks run). */
  async close(): Promise<void> {
    this.ended = true;
    await this.it.return?.();
  }

  /** Read and discard everything that is left (so that a hash over the whole stream completes). */
  async drain(): Promise<void> {
    this.off = this.cur.length;
    while (await this.fill()) this.off = this.cur.length;
  }
}
