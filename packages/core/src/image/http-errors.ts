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

/** A network-level failure (refused, reset, DNS…) as a `REGISTRY` error; MagikrunErrors pass through. */
export function networkError(e: unknown, registry: string, what: string): MagikrunError {
  if (isMagikrunError(e)) return e;
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  return err(
    ErrorCode.Registry,
    `cannot reach registry ${registry} for ${what}: ${typeof code === 'string' ? `${code} ` : ''}${message}`,
    { registry, cause: typeof code === 'string' ? code : undefined },
    e,
  );
}
