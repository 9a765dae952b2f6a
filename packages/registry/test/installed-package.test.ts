// Proof that a user installs only the backends they need: pack @magikrun/core, @magikrun/registry,
// @magikrun/runtime-wasmtime and its platform binary package (as `pnpm pack` / napi-rs publish them),
// install the tarballs with npm into a fresh project outside the workspace, and run a container there.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');
const pkgDir = (name: string): string => join(repo, 'packages', name);

function pack(dir: string, dest: string): string {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
  const file = out.trim().split('\n').pop()!.trim();
  return file.startsWith('/') ? file : join(dest, file);
}

/** The per-platform binary package napi-rs publishes: package.json from the napi block + the .node file. */
function platformPackage(dest: string): string {
  const main = JSON.parse(readFileSync(join(pkgDir('runtime-wasmtime'), 'package.json'), 'utf8')) as {
    version: string;
    napi: { binaryName: string; packageName: string };
  };
  const suffix = 'linux-x64-gnu';
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
  const runUser = (): string => execFileSync(process.execPath, ['main.mjs', layoutRef, join(work, 'root')], { cwd: project, encoding: 'utf8' });

  it('packs no .node file into the main runtime package', () => {
    const listing = execFileSync('tar', ['-tzf', tarballs.wasmtime!], { encoding: 'utf8' });
    expect(listing).toContain('package/dist/index.js');
    expect(listing).not.toMatch(/\.node$/m);
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
});
