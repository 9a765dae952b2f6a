import { describe, expect, it } from 'vitest';
import { err, ErrorCode } from '@magikrun/core';
import { exitCodeForError, shellExitCode } from './exit-codes.js';

describe('exit codes', () => {
  it('keeps 0-255 and maps codes the kernel would truncate to 255 (never to 0)', () => {
    expect([0, 3, 137, 255].map(shellExitCode)).toEqual([0, 3, 137, 255]);
    expect([256, 512, -1, 2 ** 31 - 1].map(shellExitCode)).toEqual([255, 255, 255, 255]);
  });

  it('maps entrypoint errors to 127 (not found) and 126 (cannot run), everything else to 125', () => {
    expect(exitCodeForError(err(ErrorCode.NotFound, 'x', { entrypoint: '/a.wasm' }))).toBe(127);
    expect(exitCodeForError(err(ErrorCode.Unsupported, 'x', { entrypoint: '/a.wasm' }))).toBe(126);
    expect(exitCodeForError(err(ErrorCode.NotFound, 'image not found'))).toBe(125);
    expect(exitCodeForError(new Error('boom'))).toBe(125);
  });
});
