/**
 * Content digests (OCI image-spec descriptor.md "Digests"): `algorithm ":" encoded`.
 *
 * The store accepts only `sha256:` followed by exactly 64 lowercase hex characters — the form the spec
 * requires for sha256 — and checks it before the digest becomes part of any path.
 *
 * @module storage/digest
 */
import { createHash } from 'node:crypto';
import { err, ErrorCode } from '../errors.js';

/** A parsed sha256 digest. */
export interface ParsedDigest {
  algorithm: 'sha256';
  /** 64 lowercase hex characters. */
  hex: string;
  /** `sha256:<hex>` */
  digest: string;
}

/** The grammar of descriptor.md: `algorithm-component (algorithm-separator algorithm-component)* ":" encoded`. */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** Registered algorithms this version recognises but does not store, with their encoded form. */
const UNSUPPORTED: Readonly<Record<string, RegExp>> = { sha512: /^[a-f0-9]{128}$/, blake3: /^[a-f0-9]{64}$/ };

/** Longest digest string echoed into an error message. */
const ECHO_LIMIT = 200;

function echo(input: unknown): string {
  const s = typeof input === 'string' ? input : String(input);
  return JSON.stringify(s.length > ECHO_LIMIT ? `${s.slice(0, ECHO_LIMIT)}…` : s);
}

/**
 * Parse and check a digest.
 *
 * @throws MagikrunError `UNSUPPORTED` for a well-formed `sha512:` (128 hex) or `blake3:` (64 hex) digest;
 *   `INVALID_ARGUMENT` for anything else that is not `sha256:` + 64 lowercase hex (uppercase hex,
 *   wrong length, other algorithms, path characters, non-strings).
 */
export function parseDigest(input: unknown): ParsedDigest {
  if (typeof input === 'string' && SHA256.test(input)) {
    return { algorithm: 'sha256', hex: input.slice(7), digest: input };
  }
  if (typeof input === 'string' && DIGEST_GRAMMAR.test(input)) {
    const i = input.indexOf(':');
    const algorithm = input.slice(0, i);
    const pattern = UNSUPPORTED[algorithm];
    if (pattern?.test(input.slice(i + 1))) {
      throw err(ErrorCode.Unsupported, `digest algorithm ${algorithm} is not supported; magikrun stores sha256 digests only`, { digest: input, algorithm });
    }
  }
  throw err(
    ErrorCode.InvalidArgument,
    `invalid digest ${echo(input)}: expected "sha256:" followed by 64 lowercase hex characters`,
    { digest: typeof input === 'string' ? input.slice(0, ECHO_LIMIT) : typeof input },
  );
}

/**
 * Check a digest and return it unchanged.
 *
 * @throws MagikrunError as {@link parseDigest}.
 */
export function validateDigest(input: unknown): string {
  return parseDigest(input).digest;
}

/** True when `input` is a digest the store accepts (never throws). */
export function isDigest(input: unknown): input is string {
  return typeof input === 'string' && SHA256.test(input);
}

/** `sha256:<hex>` of some bytes (a string is hashed as UTF-8). */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}
