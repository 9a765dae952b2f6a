import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveArgv, resolveEnv, resolveVolumes, resolveWorkdir } from './run-config.js';
import { requireWasmModule, wasmBinaryKind } from './wasm-header.js';

const image = { Entrypoint: ['/app.wasm', '--flag'], Cmd: ['default', 'args'] };

describe('resolveArgv: docker run semantics', () => {
  it('Entrypoint + Cmd by default', () => {
    expect(resolveArgv(image, {})).toEqual(['/app.wasm', '--flag', 'default', 'args']);
  });
  it('user arguments replace Cmd', () => {
    expect(resolveArgv(image, { args: ['x', 'y'] })).toEqual(['/app.wasm', '--flag', 'x', 'y']);
  });
  it('--entrypoint replaces Entrypoint and clears Cmd', () => {
    expect(resolveArgv(image, { entrypoint: '/other.wasm' })).toEqual(['/other.wasm']);
    expect(resolveArgv(image, { entrypoint: '/other.wasm', args: ['z'] })).toEqual(['/other.wasm', 'z']);
    expect(resolveArgv(image, { entrypoint: ['/a.wasm', '-v'] })).toEqual(['/a.wasm', '-v']);
  });
  it('Cmd alone is the command when there is no Entrypoint', () => {
    expect(resolveArgv({ Cmd: ['/bin.wasm', 'a'] }, {})).toEqual(['/bin.wasm', 'a']);
    expect(resolveArgv({ Cmd: ['/bin.wasm', 'a'] }, { args: ['/x.wasm'] })).toEqual(['/x.wasm']);
  });
  it('nothing to run is INVALID_ARGUMENT unless a fallback argv0 is given', () => {
    expect(() => resolveArgv({}, {})).toThrow(/no Entrypoint or Cmd/);
    expect(resolveArgv({}, {}, 'module.wasm')).toEqual(['module.wasm']);
    expect(() => resolveArgv(image, { entrypoint: '' })).toThrow(/entrypoint given is empty/);
    expect(() => resolveArgv(image, { entrypoint: [] })).toThrow(/entrypoint given is empty/);
  });
  it('an empty entrypoint resets the image\'s Entrypoint (docker run --entrypoint "" IMAGE ARGS runs ARGS)', () => {
    expect(resolveArgv(image, { entrypoint: '', args: ['sh', '-c', 'x'] })).toEqual(['sh', '-c', 'x']);
    expect(resolveArgv(image, { entrypoint: [''], args: ['/bin/true'] })).toEqual(['/bin/true']);
    expect(resolveArgv(image, { entrypoint: [], args: ['/bin/true'] })).toEqual(['/bin/true']);
    expect(() => resolveArgv(image, { args: ['a\0b'] })).toThrow(/NUL/);
  });
  it('an image Entrypoint [""] counts as none, as docker resets it: the Cmd or the arguments alone run', () => {
    expect(resolveArgv({ Entrypoint: [''], Cmd: ['sh', '-c', 'x'] }, {})).toEqual(['sh', '-c', 'x']);
    expect(resolveArgv({ Entrypoint: [''], Cmd: ['sh'] }, { args: ['true'] })).toEqual(['true']);
    expect(() => resolveArgv({ Entrypoint: [''] }, {}, undefined, 'oci:/l:t')).toThrow(/^image oci:\/l:t has no command .*give the command to run/);
    expect(resolveArgv({ Entrypoint: [''] }, {}, 'module.wasm')).toEqual(['module.wasm']);
  });
  it('an empty program name is INVALID_ARGUMENT naming the image, wherever it comes from', () => {
    const refused = (config: Parameters<typeof resolveArgv>[0], options: Parameters<typeof resolveArgv>[1], fallback?: string) => {
      expect(() => resolveArgv(config, options, fallback, 'oci:/l:t')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/image oci:\/l:t .*empty program name.*give the command to run/) }));
    };
    refused({ Cmd: [''] }, {});
    refused({ Cmd: [''] }, {}, 'module.wasm');
    refused({ Entrypoint: [''], Cmd: [''] }, {});
    refused({ Entrypoint: ['', 'x'], Cmd: ['y'] }, {});
    refused({ Cmd: ['sh'] }, { args: ['', 'x'] });
    expect(() => resolveArgv({ Cmd: [''] }, {})).toThrow(/^the image has an empty program name: its Cmd is \[""\]/);
  });
});

describe('resolveEnv', () => {
  it('image env plus user env, user wins in place, host never leaks', () => {
    process.env.MAGIKRUN_TEST_HOST_ONLY = 'leak';
    const env = resolveEnv(['A=1', 'PATH=/bin', 'B=2'], ['B=user', 'C=3']);
    expect(env).toEqual(['A=1', 'PATH=/bin', 'B=user', 'C=3']);
    expect(env.join('\n')).not.toContain('MAGIKRUN_TEST_HOST_ONLY');
    expect(resolveEnv(['A=1'], { A: 'x=y', D: '' })).toEqual(['A=x=y', 'D=']);
  });
  it('refuses entries without a value (docker -e KEY copies the host; magikrun does not) and malformed keys', () => {
    expect(() => resolveEnv([], ['HOME'])).toThrow(/no value/);
    expect(() => resolveEnv([], ['=x'])).toThrow(/malformed/);
    expect(() => resolveEnv(['BROKEN'], [])).toThrow(/image's environment entry/);
  });
});

describe('resolveWorkdir', () => {
  it('user, then image, then /', () => {
    expect(resolveWorkdir({ WorkingDir: '/app' }, { workdir: '/data/' })).toBe('/data');
    expect(resolveWorkdir({ WorkingDir: '/app' }, {})).toBe('/app');
    expect(resolveWorkdir({}, {})).toBe('/');
    expect(() => resolveWorkdir({}, { workdir: 'rel' })).toThrow(/absolute/);
    expect(() => resolveWorkdir({}, { workdir: '/a/../b' })).toThrow(/\.\./);
  });
});

describe('resolveVolumes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'magikrun-vol-'));
    await writeFile(path.join(dir, 'file'), 'x');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('maps existing host directories, read-only or not', async () => {
    expect(await resolveVolumes([{ hostPath: dir, guestPath: '/data/', readonly: true }, { hostPath: dir, guestPath: '/rw' }])).toEqual([
      { hostPath: dir, guestPath: '/data', readonly: true },
      { hostPath: dir, guestPath: '/rw', readonly: false },
    ]);
  });
  it('refuses missing host paths, files, relative or ".." guest paths, duplicates, and / when the image root is there', async () => {
    await expect(resolveVolumes([{ hostPath: path.join(dir, 'nope'), guestPath: '/d' }])).rejects.toThrow(/does not exist/);
    await expect(resolveVolumes([{ hostPath: path.join(dir, 'file'), guestPath: '/d' }])).rejects.toThrow(/not a directory/);
    await expect(resolveVolumes([{ hostPath: dir, guestPath: 'd' }])).rejects.toThrow(/absolute/);
    await expect(resolveVolumes([{ hostPath: dir, guestPath: '/d/../e' }])).rejects.toThrow(/\.\./);
    await expect(resolveVolumes([{ hostPath: dir, guestPath: '/d' }, { hostPath: dir, guestPath: '/d/' }])).rejects.toThrow(/mapped twice/);
    await expect(resolveVolumes([{ hostPath: dir, guestPath: '/' }], ['/'])).rejects.toThrow(/image root/);
  });
});

describe('wasm headers', () => {
  const mod = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const comp = Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
  it('tells modules, components and other files apart', () => {
    expect(wasmBinaryKind(mod)).toBe('module');
    expect(wasmBinaryKind(comp)).toBe('component');
    expect(wasmBinaryKind(Buffer.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]))).toBe('unknown-version');
    expect(wasmBinaryKind(Buffer.from('#!/bin/sh\n'))).toBe('not-wasm');
    expect(wasmBinaryKind(Buffer.from([0, 0x61, 0x73]))).toBe('not-wasm');
  });
  it('refuses components as UNSUPPORTED and non-wasm as INVALID_ARGUMENT', () => {
    expect(() => requireWasmModule(mod, 'x')).not.toThrow();
    expect(() => requireWasmModule(comp, 'x')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => requireWasmModule(Buffer.from('#!/bin/sh\n'), '/bin/hello.sh')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('image has no WebAssembly module: /bin/hello.sh') }),
    );
  });
});
