/**
 * Checking fetched bytes (a manifest or index read whole) against the digest and size the reference or
 * its parent descriptor names — before anything of them is stored or believed.
 *
 * @module image/verify-bytes
 */
import { err, ErrorCode } from '../errors.js';
import { sha256Digest } from '../storage/digest.js';

/**
 * The sha256 digest of `bytes`, after checking it against `expectedDigest` and `bytes.length` against
 * `expectedSize` (each when given).
 *
 * @param what the bytes as a message names them (`the manifest of …`).
 * @param from where the expectation comes from (`index.json`, `the reference`).
 * @throws MagikrunError `DIGEST_MISMATCH` (`details.expected`, `details.actual`).
 */
export function verifyBytes(bytes: Buffer, expectedDigest: string | undefined, expectedSize: number | undefined, what: string, from: string): string {
  const actual = sha256Digest(bytes);
  if (expectedDigest !== undefined && actual !== expectedDigest) {
    throw err(ErrorCode.DigestMismatch, `${what} hashes to ${actual}, not ${expectedDigest} as ${from} says; nothing was stored`, {
      expected: expectedDigest,
      actual,
    });
  }
  if (expectedSize !== undefined && bytes.length !== expectedSize) {
    throw err(ErrorCode.DigestMismatch, `${what} is ${bytes.length} bytes, not ${expectedSize} as ${from} says`, { expected: expectedSize, actual: bytes.length });
  }
  return actual;
}
