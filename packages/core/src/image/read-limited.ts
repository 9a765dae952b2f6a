/**
 * Reading a whole (small) stream into memory with a byte cap.
 *
 * @module image/read-limited
 */
import { err, ErrorCode } from '../errors.js';

/**
 * Collect `source` into one Buffer, refusing more than `maxBytes`. On refusal the stream is
 * destroyed (by leaving the loop), so a network body is released.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` (the source is destroyed) when more than `maxBytes` arrive.
 */
export async function readLimited(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) {
      // Leaving the for-await loop destroys the stream (the iterator's return()).
      throw err(ErrorCode.LimitExceeded, `${what} is larger than ${maxBytes} bytes; refusing to read it`, { limit: maxBytes, value: total });
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total);
}
