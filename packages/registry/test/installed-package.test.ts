// Proof that a user installs only the backends they need: pack @magikrun/core, @magikrun/registry,
// @magikrun/runtime-wasmtime, @magikrun/runtime-youki and their platform binary packages (as
// `pnpm pack` / napi-rs publish them), install the tarballs with npm into a fresh project outside the
// workspace, and run a container of each kind there. The youki platform package is made by the
// package's own publish step (scripts/npm-dirs.mjs: napi create-npm-dirs + artifacts + the monitor).
// The Linux container part skips only where the platform cannot run youki containers (the registry's
// own candidate check; MAGIKRUN_REQUIRE turns a missing capability into a failure).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRun, Platform } from '@magikrun/core';
import { BUILTIN_CANDIDATES } from '../src/candidates.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const pkgDir = (name: string): string => join(repo, 'packages', name);

function pack(dir: string, dest: string): string {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
  const file = out.trim().split('\n').pop()!.trim();
  return file.startsWith('/') ? file : join(dest, file);
}

/** `npm pack` of a directory (what `napi pre-publish` publishes the platform packages with). */
function npmPack(dir: string, dest: string): string {
  const out = execFileSync('npm', ['pack', '--pack-destination', dest, '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
  return join(dest, out.trim().split('\n').pop()!.trim());
}

const SUFFIX = 'linux-x64-gnu';
const YOUKI_MONITOR = `magikrun-youki-monitor.${SUFFIX}`;

/**
 * runtime-youki's platform package, made as its release is: the built .node and monitor in a copy of
 * the package (so the workspace is not written to), `scripts/npm-dirs.mjs` there, then `npm pack`.
 */
function youkiPlatformPackage(dest: string): string {
  const stage = join(dest, 'youki-stage');
  mkdirSync(stage);
  const main = JSON.parse(readFileSync(join(pkgDir('runtime-youki'), 'package.json'), 'utf8')) as { napi: { binaryName: string } };
  for (const file of ['package.json', `${main.napi.binaryName}.${SUFFIX}.node`, YOUKI_MONITOR]) {
    copyFileSync(join(pkgDir('runtime-youki'), file), join(stage, file));
  }
  execFileSync(process.execPath, [join(pkgDir('runtime-youki'), 'scripts/npm-dirs.mjs'), '--cwd', stage], { stdio: ['ignore', 'ignore', 'inherit'] });
  return npmPack(join(stage, 'npm', SUFFIX), dest);
}

const platform = await Platform.detect();
const youkiCandidate = BUILTIN_CANDIDATES.find((c) => c.name === 'youki')!;
/** The registry's own test for youki: capabilities (MAGIKRUN_REQUIRE may demand them) and Linux + root. */
const youkiHost = canRun(platform, youkiCandidate.requires) && youkiCandidate.check?.(platform) === undefined;
const linux = platform.os === 'linux';

/** runtime-wasmtime's per-platform binary package as napi-rs publishes it: package.json from the napi block + the .node file. */
function platformPackage(dest: string): string {
  const main = JSON.parse(readFileSync(join(pkgDir('runtime-wasmtime'), 'package.json'), 'utf8')) as {
    version: string;
    napi: { binaryName: string; packageName: string };
  };
  const suffix = SUFFIX;
  const node = `${main.napi.binaryName}.${suffix}.node`;
  const dir = join(dest, `binding-${suffix}`);
  mkdirSync(dir);
  cpSync(join(pkgDir('runtime-wasmtime'), node), join(dir, node));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `${main.napi.packageName}-${suffix}`, version: main.version, main: node, files: [node], os: ['linux'], cpu: ['x64'], libc: ['glibc'], license: 'Apache-2.0' }),
  );
  return pack(dir, dest);
}

const USER_SCRIPT = `
import { BlobStore, BundleBuilder, Platform, pullImage } from '@magikrun/core';
import { RuntimeRegistry } from '@magikrun/registry';
const [ref, root] = process.argv.slice(2);
const registry = await RuntimeRegistry.create(await Platform.detect());
console.log('available=' + JSON.stringify(registry.availableRuntimes()));
console.log('unavailable=' + JSON.stringify(registry.unavailableRuntimes().map((u) => u.name + ':' + u.kind)));
if (registry.availableRuntimes().length > 0) {
  const store = new BlobStore({ root });
  const image = await pullImage(ref, store);
  const bundle = await new BundleBuilder({ root }).image(image).storage(store).build({ args: ['installed'] });
  const rt = registry.requireForBundle(bundle.kind);
  await rt.create('c1', bundle, { stdio: { stdout: process.stdout, stderr: process.stderr } });
  await rt.start('c1');
  const status = await rt.wait('c1');
  await rt.delete('c1');
  console.log('status=' + JSON.stringify(status));
}
`;

// Creates, starts, waits for and deletes one container of the OCI bundle in argv[2] through the registry.
const YOUKI_SCRIPT = `
import { readlinkSync } from 'node:fs';
import { Platform } from '@magikrun/core';
import { RuntimeRegistry } from '@magikrun/registry';
const [bundleDir, stateRoot] = process.argv.slice(2);
const registry = await RuntimeRegistry.create(await Platform.detect(), { runtimeOptions: { youki: { stateRoot } } });
console.log('available=' + JSON.stringify(registry.availableRuntimes()));
const rt = registry.requireForBundle('oci');
console.log('runtime=' + rt.name);
const bundle = { kind: 'oci', path: bundleDir, rootfs: bundleDir + '/rootfs' };
await rt.create('c1', bundle, { stdio: { stdout: process.stdout, stderr: process.stderr } });
console.log('created=' + (await rt.state('c1')).status);
console.log('monitor=' + readlinkSync('/proc/' + (await rt.inspect('c1')).monitorPid + '/exe'));
await rt.start('c1');
const status = await rt.wait('c1');
console.log('waited=' + (await rt.state('c1')).status);
await rt.delete('c1');
console.log('after-delete=' + (await rt.state('c1').then(() => 'still there', (e) => e.code)));
console.log('status=' + JSON.stringify(status));
`;

describe('installed from packed tarballs, outside the workspace', () => {
  let work: string;
  let project: string;
  let layoutRef: string;
  const tarballs: Record<string, string> = {};

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'magikrun-install-'));
    const packs = join(work, 'packs');
    mkdirSync(packs);
    tarballs.core = pack(pkgDir('core'), packs);
    tarballs.registry = pack(pkgDir('registry'), packs);
    tarballs.wasmtime = pack(pkgDir('runtime-wasmtime'), packs);
    tarballs.binding = platformPackage(packs);
    tarballs.youki = pack(pkgDir('runtime-youki'), packs);
    if (linux) tarballs.youkiBinding = youkiPlatformPackage(packs);
    const layout = join(work, 'layout');
    execFileSync(join(repo, 'tools/images/build-hello-layout.sh'), [layout, 'latest'], { stdio: ['ignore', 'ignore', 'inherit'] });
    layoutRef = `oci:${layout}:latest`;
    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    writeFileSync(join(project, 'main.mjs'), USER_SCRIPT);
  }, 240_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const npmInstall = (...files: string[]): void => {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  /** The user's environment, without the loader overrides that could point back into the workspace. */
  const userEnv = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env['MAGIKRUN_YOUKI_BINDING'];
    delete env['MAGIKRUN_YOUKI_MONITOR'];
    delete env['MAGIKRUN_WASMTIME_BINDING'];
    return env;
  };
  const runUser = (): string => execFileSync(process.execPath, ['main.mjs', layoutRef, join(work, 'root')], { cwd: project, encoding: 'utf8', env: userEnv() });

  it('packs no .node file into the main runtime packages, and no monitor into runtime-youki', () => {
    for (const tarball of [tarballs.wasmtime!, tarballs.youki!]) {
      const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
      expect(listing).toContain('package/dist/index.js');
      expect(listing).not.toMatch(/\.node$/m);
      expect(listing).not.toContain('magikrun-youki-monitor');
    }
  });

  it.runIf(linux)("runtime-youki's platform package ships the .node and the executable monitor beside it", () => {
    const listing = execFileSync('tar', ['-tvzf', tarballs.youkiBinding!], { encoding: 'utf8' });
    const entries = listing.trim().split('\n').map((line) => ({ mode: line.split(/\s+/)[0], name: line.split(/\s+/).pop() }));
    expect(entries.map((e) => e.name).sort()).toEqual(['package/README.md', `package/${YOUKI_MONITOR}`, `package/magikrun-youki.${SUFFIX}.node`, 'package/package.json']);
    expect(entries.find((e) => e.name === `package/${YOUKI_MONITOR}`)?.mode).toBe('-rwxr-xr-x');
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarballs.youkiBinding!, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: `@magikrun/runtime-youki-binding-${SUFFIX}`, main: `magikrun-youki.${SUFFIX}.node`, os: ['linux'], cpu: ['x64'], libc: ['glibc'] });
  });

  it('with core + registry only, no runtime is available and every backend is "not installed"', () => {
    npmInstall(tarballs.core!, tarballs.registry!);
    const out = runUser();
    expect(out).toContain('available=[]');
    expect(out).toContain('unavailable=["wasmtime:not-installed","youki:not-installed"]');
  }, 240_000);

  it('after installing runtime-wasmtime and its binary package, runs a container', () => {
    npmInstall(tarballs.wasmtime!, tarballs.binding!);
    expect(readdirSync(join(project, 'node_modules', '@magikrun')).sort()).toEqual(['core', 'registry', 'runtime-wasmtime', 'runtime-wasmtime-binding-linux-x64-gnu']);
    const out = runUser();
    expect(out).toContain('available=["wasmtime"]');
    expect(out).toContain('argv[1]=installed');
    expect(out).toContain('status={"code":0,"reason":"exited"}');
  }, 240_000);

  it.runIf(youkiHost)('after installing runtime-youki and its binary package, runs a Linux container through the registry', () => {
    if (!existsSync('/bin/busybox')) throw new Error('the test needs a static /bin/busybox: apt-get install busybox-static');
    npmInstall(tarballs.youki!, tarballs.youkiBinding!);
    const installed = join(project, 'node_modules', '@magikrun');
    expect(readdirSync(installed)).toEqual(expect.arrayContaining(['runtime-youki', `runtime-youki-binding-${SUFFIX}`]));
    expect(readdirSync(join(installed, 'runtime-youki')).filter((f) => /\.node$|monitor/.test(f))).toEqual([]);
    const monitor = join(installed, `runtime-youki-binding-${SUFFIX}`, YOUKI_MONITOR);
    expect(statSync(monitor).mode & 0o111).toBe(0o111);

    // The bundle: Debian's static busybox as the whole rootfs, config.json from `runc spec`.
    const bundle = join(project, 'bundle');
    mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(bundle, 'rootfs', 'bin', 'busybox'));
    try {
      execFileSync('runc', ['spec', '--bundle', bundle], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch (e) {
      throw new Error(`"runc spec" failed (apt-get install runc): ${(e as Error).message}`);
    }
    const configFile = join(bundle, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { process: { terminal: boolean; args: string[] }; hostname?: string };
    config.process.terminal = false;
    config.process.args = ['/bin/busybox', 'sh', '-c', 'echo "hello from $(/bin/busybox hostname) as pid $$"; exit 3'];
    writeFileSync(configFile, JSON.stringify(config));
    writeFileSync(join(project, 'youki.mjs'), YOUKI_SCRIPT);

    const stateRoot = join(work, 'youki-state');
    const out = execFileSync(process.execPath, ['youki.mjs', bundle, stateRoot], { cwd: project, encoding: 'utf8', env: userEnv() });
    expect(out).toContain('available=["wasmtime","youki"]');
    expect(out).toContain('runtime=youki');
    expect(out).toContain('created=created');
    expect(out).toContain(`monitor=${monitor}`);
    expect(out).toContain(`hello from ${config.hostname ?? 'runc'} as pid 1\n`);
    expect(out).toContain('waited=stopped');
    expect(out).toContain('after-delete=NOT_FOUND');
    expect(out).toContain('status={"code":3,"reason":"exited"}');
    expect(existsSync(join(stateRoot, 'c1'))).toBe(false);
  }, 120_000);
});
