/**
 * Assertion helpers shared by the conformance suites: "this rejects with a MagikrunError of code X".
 *
 * @module testing/expect-error
 */
import { expect } from 'vitest';
import { isMagikrunError, type ErrorCode, type MagikrunError } from '../errors.js';

/** Await `promise` (or call `fn`) and return the MagikrunError it fails with; fail the test otherwise. */
export async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Expect a MagikrunError with `code`; returns it for further checks of `details`. */
export async function expectCode(promise: Promise<unknown> | (() => unknown), code: ErrorCode, what = ''): Promise<MagikrunError> {
  const e = await rejection(promise);
  const label = what ? `${what}: ` : '';
  expect(e, `${label}expected a MagikrunError ${code}, but it did not fail`).toBeDefined();
  expect(isMagikrunError(e), `${label}expected a MagikrunError ${code}, got ${String(e)}`).toBe(true);
  const m = e as MagikrunError;
  expect(m.code, `${label}${m.message}`).toBe(code);
  return m;
}
