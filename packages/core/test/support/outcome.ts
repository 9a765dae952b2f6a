/**
 * How a promise ended, for tests that check typed errors: the MagikrunError's code (or 'resolved'),
 * or its code and message. Any other error is rethrown, so a raw Node error never passes as a typed one.
 */
import { isMagikrunError } from '../../src/errors.js';

/** The code of the MagikrunError `p` rejects with, or `'resolved'`. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isMagikrunError(e)) return e.code;
    throw e;
  }
  return 'resolved';
}

/** Code and message of the MagikrunError `p` rejects with; fails the test when `p` resolves. */
export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isMagikrunError(e)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a rejection');
}
