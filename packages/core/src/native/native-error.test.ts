import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isMagikrunError, MagikrunError } from '../errors.js';
import { callNative, fromNativeError, nativeErrorCode } from './native-error.js';

const where = { context: 'kill "x"', binding: 'the test binding', details: { id: 'x' } };

describe('fromNativeError', () => {
  it('maps the code property, keeps the message whole and the original as cause', () => {
    const original = Object.assign(new Error('a\nb'), { code: 'INVALID_STATE' });
    const e = fromNativeError(original, where);
    expect(e).toMatchObject({ code: 'INVALID_STATE', message: 'kill "x": a\nb', details: { id: 'x' } });
    expect(e.cause).toBe(original);
  });

  it('anything without a known code is INTERNAL, and a MagikrunError passes through', () => {
    expect(fromNativeError(new Error('[NOT_FOUND] text is never parsed'), where).code).toBe('INTERNAL');
    expect(fromNativeError(Object.assign(new Error('x'), { code: 'GenericFailure' }), where).message).toBe('kill "x": the test binding failed unexpectedly: x');
    expect(fromNativeError('a string', where).code).toBe('INTERNAL');
    const mine = new MagikrunError('TIMEOUT', 't');
    expect(fromNativeError(mine, where)).toBe(mine);
    expect(nativeErrorCode({ code: 'NOT_FOUND' })).toBeUndefined();
  });

  it('callNative maps sync throws and rejections', async () => {
    await expect(callNative(() => { throw Object.assign(new Error('gone'), { code: 'NOT_FOUND' }); }, where)).rejects.toSatisfy((e) => isMagikrunError(e, 'NOT_FOUND'));
    await expect(callNative(() => Promise.reject(Object.assign(new Error('late'), { code: 'TIMEOUT' })), where)).rejects.toSatisfy((e) => isMagikrunError(e, 'TIMEOUT'));
    await expect(callNative(() => 7, where)).resolves.toBe(7);
  });
});

describe('the codes the native crates send', () => {
  it('are each one of ErrorCode, spelled identically (crates/native-error/src/lib.rs Code::as_str)', () => {
    const source = readFileSync(new URL('../../../../crates/native-error/src/lib.rs', import.meta.url), 'utf8');
    const body = /pub fn as_str\(self\) -> &'static str \{([\s\S]*?)\n    \}/.exec(source)?.[1] ?? '';
    const spelled = [...body.matchAll(/Code::(\w+) => "([A-Z_]+)"/g)].map((m) => [m[1], m[2]] as const);
    expect(spelled.length).toBeGreaterThanOrEqual(11);
    const values = new Set<string>(Object.values(ErrorCode));
    for (const [variant, text] of spelled) {
      expect(values.has(text as string), `${variant} => ${text}`).toBe(true);
      expect(ErrorCode[variant as keyof typeof ErrorCode]).toBe(text);
    }
  });
});
