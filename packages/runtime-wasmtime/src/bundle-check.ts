/**
 * Checking a `Bundle` before anything of it reaches the binding.
 *
 * @module bundle-check
 */
import path from 'node:path';
import { err, ErrorCode } from '@magikrun/core/errors';
import type { Bundle, WasmBundle } from '@magikrun/core/runtime';

const SHA256 = /^sha256:[0-9a-f]{64}$/;

function bad(message: string, details: Record<string, unknown> = {}): never {
  throw err(ErrorCode.InvalidArgument, message, details);
}

function str(v: unknown): v is string {
  return typeof v === 'string' && !v.includes('\0');
}

function absolute(v: unknown, what: string): void {
  if (!str(v) || !path.isAbsolute(v)) bad(`${what} must be an absolute path, got ${JSON.stringify(v)}`, { [what]: v });
}

/**
 * Check that `bundle` is a well-formed wasm bundle.
 *
 * @throws MagikrunError `INVALID_ARGUMENT`: another bundle kind, relative paths, a digest that is not
 *   `sha256:<64 hex>`, env entries that are not `KEY=VALUE`, malformed preopens.
 */
export function checkWasmBundle(bundle: Bundle): WasmBundle {
  if (bundle === null || typeof bundle !== 'object' || bundle.kind !== 'wasm') {
    bad(`WasmtimeRuntime runs "wasm" bundles only, got kind ${JSON.stringify((bundle as { kind?: unknown } | null)?.kind)}`);
  }
  const b = bundle;
  absolute(b.path, 'bundle.path');
  absolute(b.module, 'bundle.module');
  if (!str(b.moduleDigest) || !SHA256.test(b.moduleDigest)) {
    bad(`bundle.moduleDigest must be "sha256:<64 lowercase hex>", got ${JSON.stringify(b.moduleDigest)}`);
  }
  if (!Array.isArray(b.args) || !b.args.every(str)) bad('bundle.args must be an array of strings without NUL bytes');
  if (!Array.isArray(b.env) || !b.env.every((e) => str(e) && /^[^=]+=/.test(e))) {
    bad('bundle.env must be an array of "KEY=VALUE" strings (KEY non-empty, no NUL bytes)');
  }
  if (!Array.isArray(b.preopens)) bad('bundle.preopens must be an array');
  for (const p of b.preopens) {
    absolute(p?.hostPath, 'preopen.hostPath');
    if (!str(p.guestPath) || p.guestPath === '') bad(`preopen.guestPath must be a non-empty string, got ${JSON.stringify(p.guestPath)}`);
    if (p.readonly !== undefined && typeof p.readonly !== 'boolean') bad('preopen.readonly must be a boolean');
  }
  if (b.cwd !== undefined && (!str(b.cwd) || !b.cwd.startsWith('/'))) bad(`bundle.cwd must be an absolute guest path, got ${JSON.stringify(b.cwd)}`);
  return b;
}
