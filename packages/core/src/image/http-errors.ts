/**
 * Turning registry HTTP failures into MagikrunErrors (distribution spec "Error codes").
 *
 * @module image/http-errors
 */
import { err, ErrorCode, isMagikrunError, type MagikrunError } from '../errors.js';

/** The registry's JSON error body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`. */
export function describeRegistryErrors(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) {
      return doc.errors
        .map((e) => [typeof e.code === 'string' ? e.code : '', typeof e.message === 'string' ? e.message : ''].filter(Boolean).join(': '))
        .join('; ');
    }
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200);
}

/**
 * The error for a registry's non-success status.
 *
 * 404 → `NOT_FOUND`; 401 and 403 → `UNAUTHORIZED`; anything else (429, 5xx, unexpected) → `REGISTRY`.
 */
export function statusError(status: number, what: string, registry: string, body: string): MagikrunError {
  const detail = describeRegistryErrors(body);
  const suffix = detail ? ` (${status} ${detail})` : ` (HTTP ${status})`;
  const details = { status, registry, detail };
  if (status === 404) return err(ErrorCode.NotFound, `${what} not found${suffix}; check the name, the tag and the registry`, details);
  if (status === 401) return err(ErrorCode.Unauthorized, `registry ${registry} requires authentication for ${what}${suffix}; give credentials that may pull it`, details);
  if (status === 403) return err(ErrorCode.Unauthorized, `registry ${registry} denied access to ${what}${suffix}; check that your credentials may pull it`, details);
  if (status === 429) return err(ErrorCode.Registry, `registry ${registry} is rate-limiting requests for ${what}${suffix}; wait and try again`, details);
  return err(ErrorCode.Registry, `registry ${registry} failed on ${what}${suffix}`, details);
}

/** TLS verification failures (OpenSSL / Node codes) that a custom CA or a fixed certificate cures. */
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(e: unknown): string | undefined {
  for (let x: unknown = e, i = 0; x && i < 4; x = (x as { cause?: unknown }).cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * A network-level failure (refused, reset, DNS, TLS…) as a `REGISTRY` error, with a hint for TLS
 * trust failures (give the registry's CA) and for a TLS client talking to a plain-HTTP server;
 * MagikrunErrors pass through.
 */
export function networkError(e: unknown, registry: string, what: string): MagikrunError {
  if (isMagikrunError(e)) return e;
  const code = errorCode(e);
  const message = e instanceof Error ? e.message : String(e);
  let hint = '';
  if (code !== undefined && TLS_TRUST_CODES.has(code)) {
    hint = '; the TLS certificate is not trusted: give the registry\'s CA (the ca option, magikrun --ca FILE), or insecureSkipTlsVerify for a throw-away registry';
  } else if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(message)) {
    hint = '; the server does not seem to speak TLS: if it is a plain-HTTP registry, pass plainHttp (magikrun --plain-http)';
  }
  return err(
    ErrorCode.Registry,
    `cannot reach registry ${registry} for ${what}: ${code !== undefined ? `${code} ` : ''}${message}${hint}`,
    { registry, cause: code },
    e,
  );
}
