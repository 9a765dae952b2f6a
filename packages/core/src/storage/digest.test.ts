import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { INVALID_DIGESTS } from '../testing/describe-blob-store.js';
import { expectCode } from '../testing/expect-error.js';
import { isDigest, parseDigest, sha256Digest, validateDigest } from './digest.js';

const HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('digests', () => {
  it('parses sha256 + 64 lowercase hex', () => {
    expect(parseDigest(`sha256:${HEX}`)).toEqual({ algorithm: 'sha256', hex: HEX, digest: `sha256:${HEX}` });
    expect(validateDigest(`sha256:${HEX}`)).toBe(`sha256:${HEX}`);
    expect(isDigest(`sha256:${HEX}`)).toBe(true);
  });

  it('refuses everything else with INVALID_ARGUMENT', async () => {
    for (const bad of INVALID_DIGESTS) {
      await expectCode(() => parseDigest(bad), 'INVALID_ARGUMENT', JSON.stringify(bad));
      expect(isDigest(bad)).toBe(false);
    }
    await expectCode(() => parseDigest(`sha384:${'a'.repeat(96)}`), 'INVALID_ARGUMENT');
    await expectCode(() => parseDigest(`sha512:${'a'.repeat(64)}`), 'INVALID_ARGUMENT');
  });

  it('refuses well-formed sha512 and blake3 digests as UNSUPPORTED', async () => {
    const e = await expectCode(() => parseDigest(`sha512:${createHash('sha512').update('').digest('hex')}`), 'UNSUPPORTED');
    expect(e.details['algorithm']).toBe('sha512');
    await expectCode(() => parseDigest(`blake3:${'a'.repeat(64)}`), 'UNSUPPORTED');
  });

  it('keeps error messages short for huge inputs', async () => {
    const e = await expectCode(() => parseDigest(`sha256:${'x'.repeat(100_000)}`), 'INVALID_ARGUMENT');
    expect(e.message.length).toBeLessThan(400);
  });

  it('hashes bytes and strings', () => {
    expect(sha256Digest(new Uint8Array(0))).toBe(`sha256:${HEX}`);
    expect(sha256Digest('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
