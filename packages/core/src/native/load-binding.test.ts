import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MagikrunError } from '../errors.js';
import { expectCode } from '../testing/expect-error.js';
import { loadNativeBinding, type NativeBindingOptions } from './load-binding.js';
import { packageRoot } from './package-root.js';
import { platformSuffix } from './platform-suffix.js';

const SUFFIX = platformSuffix();
const ENV = 'FAKE_BACKEND_BINDING';

/** A backend package `@fake/backend` in a temporary tree, its platform package installed in node_modules. */
let tree: string;
let pkg: string;
let platformPkg: string;
let from: string;

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const fakeModule = (which: string): string => `module.exports = { Engine: function Engine() {}, which: ${JSON.stringify(which)} };\n`;

beforeEach(() => {
  tree = mkdtempSync(path.join(tmpdir(), 'magikrun-native-'));
  pkg = path.join(tree, 'backend');
  write(path.join(pkg, 'package.json'), JSON.stringify({ name: '@fake/backend' }));
  // dist/package.json of another name, as some builds leave: passed over on the walk up.
  write(path.join(pkg, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
  from = pathToFileURL(path.join(pkg, 'dist', 'index.js')).href;
  platformPkg = path.join(pkg, 'node_modules', '@fake', `backend-binding-${SUFFIX}`);
  write(path.join(platformPkg, 'package.json'), JSON.stringify({ name: `@fake/backend-binding-${SUFFIX}`, main: 'binding.cjs' }));
  write(path.join(platformPkg, 'binding.cjs'), fakeModule('platform package'));
});

afterEach(() => rmSync(tree, { recursive: true, force: true }));

interface Fake {
  Engine: unknown;
  which: string;
}

function check(mod: unknown): Fake {
  if (typeof (mod as Partial<Fake> | null)?.Engine !== 'function') throw new Error('it does not export Engine\nsecond line');
  return mod as Fake;
}

function options(over: Partial<NativeBindingOptions<Fake, unknown>> = {}): NativeBindingOptions<Fake, unknown> {
  return {
    from,
    require: createRequire(from),
    packageName: '@fake/backend',
    binaryName: 'fake-backend',
    platformPackage: '@fake/backend-binding',
    envVar: ENV,
    env: {},
    title: 'the fake binding',
    check,
    ...over,
  };
}

/** The caller's `require`, but a `.node` file is read from the `.cjs` file beside it (no native build in a unit test). */
function nodeAsCjs(req: NodeJS.Require): NodeJS.Require {
  return Object.assign((id: string): unknown => (req(id.endsWith('.node') ? id.replace(/\.node$/, '.cjs') : id) as unknown), {
    resolve: req.resolve,
    cache: req.cache,
    extensions: req.extensions,
    main: req.main,
  }) as NodeJS.Require;
}

describe('platformSuffix', () => {
  it('names platforms as napi-rs does', () => {
    expect(platformSuffix('darwin', 'arm64')).toBe('darwin-arm64');
    expect(platformSuffix('win32', 'x64')).toBe('win32-x64-msvc');
    expect(platformSuffix('linux', 'arm64')).toMatch(/^linux-arm64-(gnu|musl)$/);
    expect(platformSuffix()).toBe(platformSuffix(process.platform, process.arch));
  });
});

describe('packageRoot', () => {
  it('walks up to the package.json of that name, past other and unreadable ones', () => {
    write(path.join(pkg, 'dist', 'deep', 'package.json'), '{ not json');
    expect(packageRoot(pathToFileURL(path.join(pkg, 'dist', 'deep', 'x.js')).href, '@fake/backend')).toBe(pkg);
    expect(packageRoot(from, '@fake/absent')).toBeUndefined();
  });
});

describe('loadNativeBinding', () => {
  it('prefers the local .node file in the package root to the platform package', () => {
    write(path.join(pkg, `fake-backend.${SUFFIX}.cjs`), fakeModule('local'));
    const loaded = loadNativeBinding(options({ require: nodeAsCjs(createRequire(from)) }));
    expect(loaded).toMatchObject({ dir: pkg, label: path.join(pkg, `fake-backend.${SUFFIX}.node`), platform: SUFFIX });
    expect((loaded as { binding: Fake }).binding.which).toBe('local');
  });

  it('falls back to the platform package, resolved with the caller’s require, when the local file does not load', () => {
    write(path.join(pkg, `fake-backend.${SUFFIX}.node`), 'not an ELF file');
    const loaded = loadNativeBinding(options()) as { binding: Fake; dir: string; label: string };
    expect(loaded.binding.which).toBe('platform package');
    expect(loaded.dir).toBe(platformPkg);
    expect(loaded.label).toBe(`package @fake/backend-binding-${SUFFIX}`);
  });

  it('with the environment variable set loads only that file', async () => {
    const file = write(path.join(tree, 'elsewhere', 'custom.cjs'), fakeModule('env'));
    const loaded = loadNativeBinding(options({ env: { [ENV]: file } })) as { binding: Fake; dir: string; label: string };
    expect(loaded).toMatchObject({ dir: path.dirname(file), label: `${file} (from ${ENV})` });
    expect(loaded.binding.which).toBe('env');
    // A missing file is not followed by the platform package (which would load).
    const e = await expectCode(() => loadNativeBinding(options({ env: { [ENV]: path.join(tree, 'missing.node') } })), 'UNAVAILABLE');
    expect(e.details['attempts']).toEqual([expect.stringMatching(new RegExp(`^${path.join(tree, 'missing.node')} \\(from ${ENV}\\): `))]);
  });

  it('treats an empty environment variable as unset', () => {
    expect((loadNativeBinding(options({ env: { [ENV]: '' } })) as { binding: Fake }).binding.which).toBe('platform package');
  });

  it('fails with one UNAVAILABLE error listing every attempt and what to do', async () => {
    write(path.join(platformPkg, 'binding.cjs'), 'module.exports = {};\n');
    const e = await expectCode(() => loadNativeBinding(options({ override: 'FAKE (and OTHER) at the files' })), 'UNAVAILABLE');
    expect(e).toBeInstanceOf(MagikrunError);
    const attempts = e.details['attempts'] as string[];
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatch(new RegExp(`^${path.join(pkg, `fake-backend.${SUFFIX}.node`)}: Cannot find module`));
    expect(attempts[1]).toBe(`package @fake/backend-binding-${SUFFIX}: it does not export Engine`);
    expect(e.details).toMatchObject({ reason: 'binding not loadable', platform: SUFFIX });
    expect(e.message).toBe(
      `the fake binding for ${SUFFIX} could not be loaded; install @fake/backend-binding-${SUFFIX}, build it with ` +
        `"pnpm --filter @fake/backend build", or point FAKE (and OTHER) at the files. Tried:\n  - ${attempts.join('\n  - ')}`,
    );
    const plain = await expectCode(() => loadNativeBinding(options()), 'UNAVAILABLE');
    expect(plain.message).toContain(`or point ${ENV} at a .node file. Tried:`);
  });

  it('says when the package root is not found above the caller', async () => {
    const stray = pathToFileURL(path.join(tree, 'stray', 'index.js')).href;
    const e = await expectCode(() => loadNativeBinding(options({ from: stray, require: createRequire(stray) })), 'UNAVAILABLE');
    expect(e.details['attempts']).toEqual([
      `the local .node file: the @fake/backend package directory was not found above ${path.join(tree, 'stray', 'index.js')}`,
      expect.stringMatching(new RegExp(`^package @fake/backend-binding-${SUFFIX}: Cannot find module`)),
    ]);
  });

  it('returns what accept returns, and tries the next place when accept throws', async () => {
    write(path.join(pkg, `fake-backend.${SUFFIX}.cjs`), fakeModule('local'));
    const seen: string[] = [];
    const accept = (loaded: { binding: Fake; dir: string }): string => {
      seen.push(loaded.binding.which);
      if (loaded.dir === pkg) throw new Error(`helper beside ${loaded.dir}: missing\nmore`);
      return `helper in ${loaded.dir}`;
    };
    const req = nodeAsCjs(createRequire(from));
    expect(loadNativeBinding({ ...options({ require: req }), accept })).toBe(`helper in ${platformPkg}`);
    expect(seen).toEqual(['local', 'platform package']);

    const never = (): never => {
      throw new Error('helper: missing');
    };
    const e = await expectCode(() => loadNativeBinding({ ...options({ require: req }), accept: never }), 'UNAVAILABLE');
    expect(e.details['attempts']).toEqual(['helper: missing', 'helper: missing']);
  });
});
